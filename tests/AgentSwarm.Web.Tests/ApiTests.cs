using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AgentSwarm.Web.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class ApiTests(ConsoleFixture console)
{
    private HttpClient Http => console.Http;

    [Fact]
    public async Task ScenariosAreListedReadAndSavedAndReadBack()
    {
        var list = await Http.GetFromJsonAsync<JsonElement>("/api/scenarios");
        var names = list.GetProperty("scenarios").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("guess-two-thirds.yaml", names);
        Assert.Contains("agentsnet-llm.yaml", names);

        var read = await Http.GetFromJsonAsync<JsonElement>("/api/scenarios/guess-two-thirds.yaml");
        var yaml = read.GetProperty("yaml").GetString()!;
        Assert.StartsWith("# Guess 2/3", yaml, StringComparison.Ordinal);

        var edited = yaml.Replace("agents: 10000", "agents: 1234", StringComparison.Ordinal);
        var saved = await Http.PutAsync("/api/scenarios/mine/small-guess.yaml", new StringContent(edited, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var savedBody = await saved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(savedBody.GetProperty("valid").GetBoolean());
        Assert.Equal(edited, await File.ReadAllTextAsync(Path.Combine(console.Scenarios, "mine", "small-guess.yaml")));
        var again = await Http.GetFromJsonAsync<JsonElement>("/api/scenarios/mine/small-guess.yaml");
        Assert.Equal(edited, again.GetProperty("yaml").GetString());

        var missing = await Http.GetAsync("/api/scenarios/nothing-here.yaml");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no scenario 'nothing-here.yaml'", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InfoSaysWhatThisConsoleServesAndTheOrleansDashboardIsOffUnlessAskedFor()
    {
        var info = await Http.GetFromJsonAsync<JsonElement>("/api/info");
        Assert.Equal("AgentSwarm", info.GetProperty("product").GetString());
        Assert.Equal(console.Scenarios, info.GetProperty("scenarios").GetString());
        Assert.False(info.GetProperty("cluster").GetBoolean());
        Assert.Equal(JsonValueKind.Null, info.GetProperty("orleansDashboard").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/orleans/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public async Task WithoutATokenOnlyLocalHostNamesAreAnswered()
    {
        // A page elsewhere that rebinds its own name to 127.0.0.1 still sends that name as the Host.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { Host = "attacker.example" } };
        var response = await Http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("answers only to localhost", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var local = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { Host = "localhost" } };
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(local)).StatusCode);
    }

    [Fact]
    public async Task ValidationNamesTheLineColumnAndFieldOfAMistake()
    {
        var response = await Http.PostAsJsonAsync("/api/scenarios/validate", new { scenario = "draft.yaml", yaml = "scenario: guess-two-thirds\nagents: -4\nrounds: 3\n" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.GetProperty("valid").GetBoolean());
        var error = body.GetProperty("errors")[0];
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        Assert.Equal(9, error.GetProperty("column").GetInt32());
        Assert.Equal("agents", error.GetProperty("field").GetString());
        Assert.Equal("draft.yaml:2:9: agents: must be in 1..100000000 (got -4)", error.GetProperty("message").GetString());

        var good = await Http.PostAsJsonAsync("/api/scenarios/validate", new { scenario = "guess-two-thirds.yaml", agents = 500 });
        var goodBody = await good.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(goodBody.GetProperty("valid").GetBoolean());
        Assert.Equal(500, goodBody.GetProperty("run").GetProperty("agents").GetInt32());

        // A seed past 2^53 as the page sends it (a string: a JavaScript number would round it) is the seed the run gets.
        var bigSeed = await Http.PostAsJsonAsync("/api/scenarios/validate", new { scenario = "guess-two-thirds.yaml", seed = "18446744073709551557" });
        var bigSeedBody = await bigSeed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(bigSeedBody.GetProperty("valid").GetBoolean(), bigSeedBody.ToString());
        Assert.Equal(18446744073709551557UL, bigSeedBody.GetProperty("run").GetProperty("seed").GetUInt64());
    }

    [Fact]
    public async Task ALaunchedGuessRunFinishesAndLeavesTheFilesRunLeaves()
    {
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 3000, rounds = 3, seed = 7 });
        var end = await console.WaitForEndAsync(id);
        Assert.Equal("completed", end.GetProperty("state").GetString());
        Assert.Equal(3, end.GetProperty("roundsCompleted").GetInt32());

        var detail = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");
        var rounds = detail.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.Equal(3000, r.GetProperty("stats").GetProperty("count").GetInt64()));
        Assert.All(rounds, r => Assert.Equal(3000, r.GetProperty("stats").GetProperty("histogram").EnumerateArray().Sum(b => b.GetInt64())));

        // The same files `agentswarm run` writes, and the rounds the API gave are the file's.
        var folder = Path.Combine(console.Runs, id);
        Assert.True(File.Exists(Path.Combine(folder, "summary.json")));
        Assert.True(Directory.Exists(Path.Combine(folder, "log")));
        var fromFile = (await File.ReadAllLinesAsync(Path.Combine(folder, "rounds.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(fromFile.Select(r => r.GetProperty("stats").GetProperty("mean").GetDouble()), rounds.Select(r => r.GetProperty("stats").GetProperty("mean").GetDouble()));

        var csv = await Http.GetStringAsync($"/api/runs/{id}/files/rounds.csv");
        Assert.StartsWith("round,seconds,agent_steps", csv, StringComparison.Ordinal);
        Assert.Equal(4, csv.Trim().Split('\n').Length);

        var listed = await Http.GetFromJsonAsync<JsonElement>("/api/runs");
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("id").GetString() == id && r.GetProperty("state").GetString() == "completed");

        // A histogram bar's agents: as many as the bar counts, each with a guess inside the bar (bins split [0, 100]).
        var histogram = rounds[1].GetProperty("stats").GetProperty("histogram").EnumerateArray().Select(b => b.GetInt64()).ToArray();
        var listedAgents = new HashSet<int>();
        for (var bin = 0; bin < histogram.Length; bin++)
        {
            var bar = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/rounds/2/agents?bin={bin}&limit=10000");
            Assert.Equal(histogram[bin], bar.GetProperty("count").GetInt64());
            var agents = bar.GetProperty("agents").EnumerateArray().ToList();
            Assert.Equal(histogram[bin], agents.Count);
            Assert.All(agents, a => Assert.InRange(a.GetProperty("number").GetDouble(), bin * 10.0, (bin + 1) * 10.0));
            Assert.All(agents, a => Assert.True(listedAgents.Add(a.GetProperty("agent").GetInt32()), "an agent in two bars"));
        }

        Assert.Equal(3000, listedAgents.Count);
        var limited = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/rounds/2/agents?bin={Array.IndexOf(histogram, histogram.Max())}&limit=5");
        Assert.Equal(5, limited.GetProperty("agents").GetArrayLength());
        Assert.Equal(histogram.Max(), limited.GetProperty("count").GetInt64());
        foreach (var (path, status, says) in new[]
        {
            ($"/api/runs/{id}/rounds/4/agents?bin=0", HttpStatusCode.BadRequest, "round 4"),
            ($"/api/runs/{id}/rounds/1/agents", HttpStatusCode.BadRequest, "bin"),
            ($"/api/runs/{id}/rounds/1/agents?bin=0&limit=0", HttpStatusCode.BadRequest, "limit"),
            ("/api/runs/no-such-run/rounds/1/agents?bin=0", HttpStatusCode.NotFound, "no run 'no-such-run'"),
        })
        {
            var response = await Http.GetAsync(path);
            Assert.True(response.StatusCode == status, $"{path}: {(int)response.StatusCode}");
            Assert.Contains(says, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ALaunchOfAScenarioWithAMistakeIsRefusedWithItsErrorsAndStartsNothing()
    {
        var before = Directory.Exists(console.Runs) ? Directory.GetDirectories(console.Runs).Length : 0;
        var response = await Http.PostAsJsonAsync("/api/runs", new { scenario = "bad.yaml", yaml = "scenario: guess-two-thirds\nagents: 100\ntopology:\n  kind: hexagonal\n" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(4, body.GetProperty("errors")[0].GetProperty("line").GetInt32());
        Assert.Equal("topology.kind", body.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(before, Directory.Exists(console.Runs) ? Directory.GetDirectories(console.Runs).Length : 0);

        var unknownOption = await Http.PostAsJsonAsync("/api/runs", new { scenario = "guess-two-thirds.yaml", hosting = "sideways" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownOption.StatusCode);
        Assert.Contains("sideways", await unknownOption.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var notJson = await Http.PostAsync("/api/runs", new StringContent("{agents: 5", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("not the JSON expected", await notJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var nothing = await Http.PostAsJsonAsync("/api/runs", new { agents = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, nothing.StatusCode);
        Assert.Contains("give a scenario", await nothing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownRunIsNotFoundOnEveryEndpoint()
    {
        foreach (var (method, path) in new[]
        {
            ("GET", "/api/runs/no-such-run"), ("GET", "/api/runs/no-such-run/events"), ("GET", "/api/runs/no-such-run/agents/0"),
            ("POST", "/api/runs/no-such-run/cancel"), ("POST", "/api/runs/no-such-run/verify"), ("DELETE", "/api/runs/no-such-run?confirm=no-such-run"),
            ("GET", "/api/runs/no-such-run/files"), ("GET", "/api/runs/no-such-run/files/rounds.csv"), ("GET", "/api/runs/no-such-run/rounds"),
            ("GET", "/api/runs/no-such-run/rounds/1/agents?bin=0"), ("POST", "/api/runs/no-such-run/resume"), ("POST", "/api/runs/no-such-run/report"),
            ("GET", "/api/runs/no-such-run/llm-rounds"),
        })
        {
            var response = await Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Contains("no run 'no-such-run'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var badId = await Http.GetAsync("/api/runs/..%2F..%2Fetc");
        Assert.True(badId.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)badId.StatusCode}");
    }

    [Fact]
    public async Task ErrorsTheFrameworkAnswersCarryAJsonErrorThatNamesTheRequest()
    {
        // No route (an agent that is not a number), a method a route does not take, a body that is not JSON: each has
        // its status and an {"error"} a script can show, not an empty body.
        foreach (var (request, status, says) in new (HttpRequestMessage, HttpStatusCode, string)[]
        {
            (new(HttpMethod.Get, "/api/runs/some-run/agents/abc"), HttpStatusCode.NotFound, "no API endpoint answers GET /api/runs/some-run/agents/abc"),
            (new(HttpMethod.Get, "/api/nothing-here"), HttpStatusCode.NotFound, "no API endpoint answers GET /api/nothing-here"),
            (new(HttpMethod.Delete, "/api/scenarios/validate"), HttpStatusCode.MethodNotAllowed, "/api/scenarios/validate does not take DELETE"),
            (new(HttpMethod.Post, "/api/runs") { Content = new StringContent("scenario: guess-two-thirds", Encoding.UTF8, "text/plain") }, HttpStatusCode.UnsupportedMediaType, "takes a JSON body"),
        })
        {
            var response = await Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status == response.StatusCode, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
            Assert.Contains(says, error, StringComparison.Ordinal);
        }

        // Pages keep their own answers: a path outside /api is not rewritten.
        var page = await Http.GetAsync("/no-such-page");
        Assert.NotEqual("application/json", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PathsThatLeaveTheServedFoldersAreRefused()
    {
        // Kestrel folds ../ out of URLs; a name in a body is where one could still try.
        await File.WriteAllTextAsync(Path.Combine(console.Root, "secret.yaml"), "scenario: guess-two-thirds\n");
        var outside = await Http.PostAsJsonAsync("/api/runs", new { scenario = "../secret.yaml" });
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Contains("outside the scenarios folder", await outside.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var absolute = await Http.PostAsJsonAsync("/api/scenarios/validate", new { scenario = Path.Combine(console.Root, "secret.yaml") });
        Assert.Equal(HttpStatusCode.BadRequest, absolute.StatusCode);

        var notYaml = await Http.PutAsync("/api/scenarios/run.sh", new StringContent("rm -rf /"));
        Assert.Equal(HttpStatusCode.BadRequest, notYaml.StatusCode);

        // A graph file the scenario names must lie inside the scenarios folder too.
        var secret = Path.Combine(console.Root, "secret-graph.json");
        await File.WriteAllTextAsync(secret, "{}");
        var graph = await Http.PostAsJsonAsync("/api/scenarios/validate", new { scenario = "sneaky.yaml", yaml = "scenario: agentsnet\ntask: coloring\ngraph:\n  file: ../secret-graph.json\n" });
        var error = (await graph.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0];
        Assert.Equal("graph.file", error.GetProperty("field").GetString());
        Assert.Contains("outside the folders", error.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AScenarioLargerThanTheLimitIsRefused()
    {
        var huge = "scenario: guess-two-thirds\n" + new string('#', 300 * 1024);
        var response = await Http.PutAsync("/api/scenarios/huge.yaml", new StringContent(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.False(File.Exists(Path.Combine(console.Scenarios, "huge.yaml")));
    }

    [Fact]
    public async Task ACancelledRunIsResumedToItsEndAndThenVerifiesByReplay()
    {
        const string Yaml = "scenario: guess-two-thirds\nagents: 300\nrounds: 12\nseed: 3\npolicy:\n  name: dummy-latency\n  latency: 250ms\n";
        var id = await console.LaunchAsync(new { scenario = "slow.yaml", yaml = Yaml });
        await WaitForRoundAsync(id, 2);
        var cancel = await Http.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var stopped = await console.WaitForEndAsync(id);
        Assert.Equal("cancelled", stopped.GetProperty("state").GetString());
        Assert.True(stopped.GetProperty("resumable").GetBoolean());
        var cut = stopped.GetProperty("roundsCompleted").GetInt32();
        Assert.InRange(cut, 2, 11);

        var again = await Http.PostAsync($"/api/runs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // Another writer on the log (a process still running it, as a run in this folder could be): resuming would cut
        // back a log that is still growing, and deleting would pull it from under the writer; both are refused.
        using (AgentSwarm.Replay.LogStreamWriter.Open(Path.Combine(console.Runs, id, "log", AgentSwarm.Replay.LogFormat.Manifest)))
        {
            var busyResume = await Http.PostAsync($"/api/runs/{id}/resume", null);
            Assert.Equal(HttpStatusCode.Conflict, busyResume.StatusCode);
            Assert.Contains("still being written (manifest", await busyResume.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var busyDelete = await Http.DeleteAsync($"/api/runs/{id}?confirm={id}");
            Assert.Equal(HttpStatusCode.Conflict, busyDelete.StatusCode);
            Assert.True(Directory.Exists(Path.Combine(console.Runs, id, "log")));
        }

        // Another console on this runs folder following it (it holds the folder's follower lock): both are refused too.
        using (new FileStream(Path.Combine(console.Runs, id, RunBoard.FollowerLock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var followedResume = await Http.PostAsync($"/api/runs/{id}/resume", null);
            Assert.Equal(HttpStatusCode.Conflict, followedResume.StatusCode);
            Assert.Contains("followed by another console", await followedResume.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Conflict, (await Http.DeleteAsync($"/api/runs/{id}?confirm={id}")).StatusCode);
            Assert.True(Directory.Exists(Path.Combine(console.Runs, id)));
        }

        var resume = await Http.PostAsync($"/api/runs/{id}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        var end = await console.WaitForEndAsync(id);
        Assert.Equal("completed", end.GetProperty("state").GetString());
        Assert.Equal(12, end.GetProperty("roundsCompleted").GetInt32());
        Assert.Equal(12, (await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/rounds")).GetArrayLength());

        var files = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/files");
        Assert.DoesNotContain(files.EnumerateArray(), f => f.GetProperty("name").GetString() == RunBoard.FollowerLock);
        Assert.True(File.Exists(Path.Combine(console.Runs, id, RunBoard.FollowerLock)));

        var completedResume = await Http.PostAsync($"/api/runs/{id}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, completedResume.StatusCode);
        Assert.Contains("nothing to resume", await completedResume.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var verify = await (await Http.PostAsync($"/api/runs/{id}/verify", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(verify.GetProperty("verified").GetBoolean(), verify.ToString());
        Assert.Equal(12, verify.GetProperty("rounds").GetArrayLength());
        Assert.All(verify.GetProperty("rounds").EnumerateArray(), r => Assert.True(r.GetProperty("sameHash").GetBoolean()));
    }

    [Fact]
    public async Task DeletingARunNeedsItsIdRepeatedAndRemovesItsFolder()
    {
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 200, rounds = 1 });
        await console.WaitForEndAsync(id);
        var folder = Path.Combine(console.Runs, id);

        var unconfirmed = await Http.DeleteAsync($"/api/runs/{id}");
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.Contains($"?confirm={id}", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(Directory.Exists(folder));

        var wrong = await Http.DeleteAsync($"/api/runs/{id}?confirm=something-else");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.True(Directory.Exists(folder));

        var deleted = await Http.DeleteAsync($"/api/runs/{id}?confirm={id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.False(Directory.Exists(folder));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/runs/{id}")).StatusCode);
    }

    [Fact]
    public async Task AnAgentOfAnAgentsNetLlmRunShowsEveryCallWithItsPromptAndResponse()
    {
        var id = await console.LaunchAsync(new { scenario = "agentsnet-llm.yaml" });
        var end = await console.WaitForEndAsync(id);
        Assert.Equal("completed", end.GetProperty("state").GetString());
        Assert.True(end.GetProperty("llm").GetProperty("requests").GetInt64() > 0);

        var agent = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/agents/3");
        var calls = agent.GetProperty("rounds").EnumerateArray().SelectMany(r => r.GetProperty("calls").EnumerateArray()).ToList();
        Assert.NotEmpty(calls);
        var first = calls[0];
        Assert.Equal("system", first.GetProperty("prompt")[0].GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(first.GetProperty("response").GetString()));
        Assert.True(File.Exists(Path.Combine(console.Runs, id, "agentsnet.json")));

        var oneRound = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/agents/3?round=2");
        Assert.Equal([2], oneRound.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));

        var outOfRange = await Http.GetAsync($"/api/runs/{id}/agents/16");
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.Contains("agents 0..15", await outOfRange.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFinishedLlmRunsCallsTokensAndLatencyAreServedRoundByRoundFromItsLog()
    {
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds-llm.yaml", agents = 12, rounds = 3, seed = 5, llm = new[] { "simulated=h100-llama3-8b?clock=virtual" } });
        var end = await console.WaitForEndAsync(id);
        Assert.Equal("completed", end.GetProperty("state").GetString());

        var rounds = (await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/llm-rounds")).EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], rounds.Select(r => r.GetProperty("round").GetInt32()));

        // Every call the log recorded, as the pool counted them (summary.json's llm.total), round by round.
        var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(console.Runs, id, "summary.json"))).RootElement;
        var total = summary.GetProperty("llm").GetProperty("total");
        var calls = rounds.Sum(r => r.GetProperty("calls").GetInt64());
        Assert.Equal(total.GetProperty("requests").GetInt64(), calls);
        var log = AgentSwarm.Replay.RunLog.Open(Path.Combine(console.Runs, id, "log"));
        Assert.Equal(log.LlmCalls().Count(), calls);
        Assert.Equal(total.GetProperty("promptTokens").GetInt64(), rounds.Sum(r => r.GetProperty("promptTokens").GetInt64()));
        Assert.Equal(total.GetProperty("outputTokens").GetInt64(), rounds.Sum(r => r.GetProperty("outputTokens").GetInt64()));

        // Each round: its agents' calls (an answer and an extraction each), over the round's seconds from rounds.jsonl.
        var seconds = (await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/rounds")).EnumerateArray().ToDictionary(r => r.GetProperty("round").GetInt32(), r => r.GetProperty("seconds").GetDouble());
        Assert.All(rounds, r =>
        {
            var round = r.GetProperty("round").GetInt32();
            Assert.Equal(24, r.GetProperty("calls").GetInt64());
            Assert.Equal(r.GetProperty("calls").GetInt64(), r.GetProperty("completed").GetInt64() + r.GetProperty("cached").GetInt64() + r.GetProperty("failed").GetInt64() + r.GetProperty("cancelled").GetInt64());
            Assert.Equal(seconds[round], r.GetProperty("seconds").GetDouble());
            Assert.Equal(r.GetProperty("calls").GetInt64() / seconds[round], r.GetProperty("callsPerSecond").GetDouble(), 6);
            Assert.True(r.GetProperty("promptTokens").GetInt64() > 0);
            Assert.True(r.GetProperty("outputTokens").GetInt64() > 0);
            var p50 = r.GetProperty("latencyP50Ms").GetDouble();
            var p95 = r.GetProperty("latencyP95Ms").GetDouble();
            var p99 = r.GetProperty("latencyP99Ms").GetDouble();
            Assert.True(p50 > 0 && p50 <= p95 && p95 <= p99, $"round {round}: p50 {p50}, p95 {p95}, p99 {p99}");
        });

        // A run whose agents call no LLM has nothing to draw; an unknown run is 404 as everywhere.
        var plain = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 100, rounds = 1 });
        await console.WaitForEndAsync(plain);
        Assert.Equal(0, (await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{plain}/llm-rounds")).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/runs/no-such-run/llm-rounds")).StatusCode);
    }

    [Fact]
    public async Task AReportWritesTablesAndChartsThatCanBeDownloaded()
    {
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 500, rounds = 2 });
        await console.WaitForEndAsync(id);
        var report = await (await Http.PostAsync($"/api/runs/{id}/report", null)).Content.ReadFromJsonAsync<JsonElement>();
        var files = report.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        Assert.Contains("report/rounds.csv", files);
        Assert.Contains("report/actions.parquet", files);
        Assert.Contains("report/mean-target.png", files);

        var png = await Http.GetByteArrayAsync($"/api/runs/{id}/files/report/mean-target.png");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var parquet = await Http.GetByteArrayAsync($"/api/runs/{id}/files/report/actions.parquet");
        Assert.Equal("PAR1", Encoding.ASCII.GetString(parquet[..4]));

        var escape = await Http.GetAsync($"/api/runs/{id}/files/..%2F..%2Fscenarios%2Fguess-two-thirds.yaml");
        Assert.Equal(HttpStatusCode.NotFound, escape.StatusCode);
    }

    private async Task WaitForRoundAsync(string id, int round)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var stream = await Http.GetStreamAsync($"/api/runs/{id}/events", timeout.Token);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: {\"round\":", StringComparison.Ordinal) && JsonDocument.Parse(line[6..]).RootElement.GetProperty("round").GetInt32() >= round)
            {
                return;
            }
        }

        throw new InvalidOperationException($"run {id} ended before round {round}");
    }

    [Fact]
    public async Task ARunWhoseConsoleWasKilledIsListedWithTheScenarioAndAgentsItsLogHeaderGives()
    {
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 300, rounds = 3 });
        await console.WaitForEndAsync(id);

        // What kill -9 of the console leaves: the run's folder with its log and rounds, and no summary.json.
        var killed = "killed-" + id;
        CopyFolder(Path.Combine(console.Runs, id), Path.Combine(console.Runs, killed));
        File.Delete(Path.Combine(console.Runs, killed, "summary.json"));

        var run = (await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{killed}")).GetProperty("run");
        Assert.Equal("stopped", run.GetProperty("state").GetString());
        Assert.Equal("guess-two-thirds", run.GetProperty("scenario").GetString());
        Assert.Equal(300, run.GetProperty("agents").GetInt32());
        Assert.Equal(3, run.GetProperty("roundsPlanned").GetInt32());
        Assert.Equal(3, run.GetProperty("roundsCompleted").GetInt32());
    }

    [Fact]
    public async Task ValidatingAFileOfNestedAliasesIsRefusedAtOnce()
    {
        var lines = new List<string> { "scenario: guess-two-thirds", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++)
        {
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var response = await Http.PostAsJsonAsync("/api/scenarios/validate", new { scenario = "laughs.yaml", yaml = string.Join('\n', lines) }, timeout.Token);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.False(body.GetProperty("valid").GetBoolean());
        Assert.Contains("too large to read", body.GetProperty("errors")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task ALaunchWithoutABodyIsToldSoWithoutDotNetTypeNames()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StringContent(string.Empty, Encoding.UTF8, "application/json") };
        var response = await Http.SendAsync(request);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("takes a JSON object", error);
        Assert.DoesNotContain("LaunchRequest", error);
        Assert.DoesNotContain("System.", error);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (Path.GetFileName(file) != Hosting.RunOutput.LockFile)
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }

        foreach (var folder in Directory.GetDirectories(from))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }
}
