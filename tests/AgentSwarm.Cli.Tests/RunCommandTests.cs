using System.Text.Json;

namespace AgentSwarm.Cli.Tests;

/// <summary>The `agentswarm` command as a user meets it: exit codes, messages, files written.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Scenario(string name, string yaml)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static async Task<(int Code, string Out, string Error)> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error, cancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "syntax.yaml", "scenario: guess-two-thirds\nagents: [10\nrounds: 2\n", "not valid YAML" },
        { "unknown-field.yaml", "scenario: guess-two-thirds\nagents: 10\nrouns: 2\n", "unknown-field.yaml:3:1: rouns: unknown field" },
        { "zero-agents.yaml", "scenario: guess-two-thirds\nagents: 0\n", "zero-agents.yaml:2:9: agents: must be in 1.." },
        { "ratio.yaml", "scenario: guess-two-thirds\ngame:\n  ratio: 4/3\n", "ratio.yaml:3:10: game.ratio: must be in (0, 1] (got 4/3)" },
        { "policy.yaml", "scenario: guess-two-thirds\npolicy: oracle\n", "policy.yaml:2:9: policy: unknown value 'oracle'" },
        { "llm-none.yaml", "scenario: guess-two-thirds\npolicy: llm\n", "the llm policy needs at least one endpoint" },
        { "llm-kind.yaml", "scenario: guess-two-thirds\nllm:\n  endpoints: [triton=http://h/m]\n", "llm-kind.yaml:3:14: llm.endpoints: endpoint 'triton=http://h/m': unknown kind 'triton'" },
        { "llm-temp.yaml", "scenario: guess-two-thirds\nllm:\n  temperature: 9\n", "llm.temperature: must be in [0, 2]" },
        { "llm-prompt.yaml", "scenario: guess-two-thirds\nprompts:\n  directly: Round {round}, pick from {colour}\n", "prompts.directly: unknown placeholder {colour}" },
        { "llm-persona.yaml", "scenario: guess-two-thirds\npersonas:\n  template: You are {age}\n  attributes:\n    job: [cook]\n", "personas.template: unknown placeholder {age}" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task ABadScenarioFileGetsAClearMessageAndExitCodeTwo(string name, string yaml, string expected)
    {
        var path = Scenario(name, yaml);
        var (code, _, error) = await InvokeAsync(["run", path, "--out", Path.Combine(_folder, "out")]);

        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.False(Directory.Exists(Path.Combine(_folder, "out")), "nothing should be written for a run that never started");
    }

    [Theory]
    [InlineData("--agents", "0", "--agents: must be in 1..")]
    [InlineData("--policy", "oracle", "--policy: unknown policy 'oracle'")]
    [InlineData("--rounds", "-1", "--rounds: must be in 1..")]
    [InlineData("--agents", "lots", "lots")]
    [InlineData("--frobnicate", "1", "--frobnicate")]
    [InlineData("--latency", "soon", "--latency")]
    [InlineData("--llm", "simulated=tpu-v9", "--llm: endpoint 'simulated=tpu-v9': unknown simulated profile")]
    [InlineData("--llm", "ollama=http://localhost:11434", "no model named")]
    public async Task ABadOptionGetsAClearMessageAndExitCodeTwo(string option, string value, string expected)
    {
        var path = Scenario("ok.yaml", "scenario: guess-two-thirds\nagents: 10\n");
        var (code, _, error) = await InvokeAsync(["run", path, option, value]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task AnLlmRunOnTheSimulatedBackendWritesThePoolsCountersToTheSummary()
    {
        var outDir = Path.Combine(_folder, "llm");
        var (code, output, error) = await InvokeAsync(
            ["run", Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds-llm.yaml"), "--agents", "300", "--rounds", "2",
             "--llm", "simulated=test-tiny?clock=virtual&malformed=0.1", "--out", outDir]);

        Assert.True(code == 0, error);
        Assert.Contains("llm: 1,200 calls", output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var llm = summary.RootElement.GetProperty("llm").GetProperty("total");
        Assert.Equal(1200, llm.GetProperty("requests").GetInt64());
        Assert.Equal(0, llm.GetProperty("failed").GetInt64());
        Assert.True(llm.GetProperty("outputTokens").GetInt64() > 0);
        var endpoint = summary.RootElement.GetProperty("llm").GetProperty("endpoints")[0];
        Assert.Equal("simulated=test-tiny?clock=virtual&malformed=0.1", endpoint.GetProperty("endpoint").GetString());
        Assert.True(endpoint.GetProperty("simulatedGpuSeconds").GetDouble() > 0);
        var rounds = summary.RootElement.GetProperty("rounds");
        Assert.True(rounds[0].GetProperty("stats").GetProperty("invalid").GetInt64() > 0, "malformed answers are dropped and counted");
    }

    [Fact]
    public async Task AnAgentsNetLlmRunWritesTheResultFileWithTranscriptsAndCounters()
    {
        var outDir = Path.Combine(_folder, "net");
        var path = Scenario("net.yaml", "scenario: agentsnet\ntask: consensus\ngraph:\n  kind: ws\n  nodes: 8\nprompts:\n  chain-of-thought: false\n");
        var (code, _, error) = await InvokeAsync(["run", path, "--policy", "llm", "--llm", "simulated=test-tiny?clock=virtual", "--out", outDir]);

        Assert.True(code == 0, error);
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "agentsnet.json")));
        var root = result.RootElement;
        Assert.Equal("consensus", root.GetProperty("task").GetString());
        Assert.Equal("simulated-tiny", root.GetProperty("model_name").GetString());
        Assert.Equal(8, root.GetProperty("answers").GetArrayLength());
        var transcripts = root.GetProperty("transcripts");
        Assert.Equal(8, transcripts.EnumerateObject().Count());
        var rounds = root.GetProperty("rounds").GetInt32();

        // System prompt, then a prompt and a reply for each of the R message rounds and the answer round (no retries: no garbage).
        var first = transcripts.EnumerateObject().First().Value;
        Assert.Equal(1 + (2 * (rounds + 1)), first.GetArrayLength());
        Assert.Equal("system", first[0].GetProperty("role").GetString());
        Assert.DoesNotContain("step by step", first[1].GetProperty("content").GetString());
        Assert.All(root.GetProperty("fallbacks").EnumerateArray(), f => Assert.Equal(0, f.GetInt32()));
    }

    [Fact]
    public async Task AMissingScenarioFileIsNamed()
    {
        var (code, _, error) = await InvokeAsync(["run", Path.Combine(_folder, "nope.yaml")]);
        Assert.Equal(2, code);
        Assert.Contains("nope.yaml", error);
    }

    [Fact]
    public async Task ARunWritesItsSummaryAndRoundsAndTheSameSeedGivesTheSameNumbers()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds.yaml");
        var first = Path.Combine(_folder, "first");
        var second = Path.Combine(_folder, "second");

        var (code, output, error) = await InvokeAsync(["run", shipped, "--agents", "300", "--rounds", "3", "--seed", "5", "--out", first]);
        Assert.True(code == 0, error);
        Assert.Contains("completed: 3/3 rounds", output);
        Assert.Contains("round=3", output);
        // The same run with every agent a grain (the first packed them, the default): the same numbers.
        (code, _, error) = await InvokeAsync(["run", shipped, "--agents", "300", "--rounds", "3", "--seed", "5", "--hosting", "grain", "--out", second]);
        Assert.True(code == 0, error);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(first, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("completed", root.GetProperty("state").GetString());
        Assert.Equal(300, root.GetProperty("agents").GetInt32());
        Assert.Equal(5UL, root.GetProperty("seed").GetUInt64());
        Assert.Equal(900, root.GetProperty("agentSteps").GetInt64());
        Assert.True(root.GetProperty("agentStepsPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("peakRssBytes").GetInt64() > 0);
        var rounds = root.GetProperty("rounds").EnumerateArray().ToArray();
        Assert.Equal(3, rounds.Length);
        var stats = rounds[0].GetProperty("stats");
        Assert.Equal(300, stats.GetProperty("count").GetInt64());
        Assert.Equal(10, stats.GetProperty("histogram").GetArrayLength());
        Assert.Equal(
            stats.GetProperty("mean").GetDouble() * 2 / 3,
            stats.GetProperty("target").GetDouble(),
            12);

        Assert.Equal(StatsOnly(Path.Combine(first, "rounds.jsonl")), StatsOnly(Path.Combine(second, "rounds.jsonl")));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(first, "rounds.csv")).Length);
    }

    [Fact]
    public async Task ACancelledRunKeepsTheRoundsItFinishedAndSaysItWasCancelled()
    {
        var path = Scenario("slow.yaml", "scenario: guess-two-thirds\nagents: 20\nrounds: 50\npolicy:\n  name: dummy-latency\n  latency: 200ms\n");
        var outDir = Path.Combine(_folder, "slow");
        using var cancel = new CancellationTokenSource();
        var run = InvokeAsync(["run", path, "--out", outDir], cancel.Token);

        // Cancel once a round is on disk (bounded wait).
        var jsonl = Path.Combine(outDir, "rounds.jsonl");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(File.Exists(jsonl) && ReadShared(jsonl).Length >= 1) && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(50);
        }

        cancel.Cancel();
        var (code, output, _) = await run;

        Assert.Equal(130, code);
        Assert.Contains("cancelled", output);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal("cancelled", summary.RootElement.GetProperty("state").GetString());
        var completed = summary.RootElement.GetProperty("roundsCompleted").GetInt32();
        Assert.InRange(completed, 1, 49);
        Assert.Equal(completed, File.ReadAllLines(jsonl).Length);
    }

    [Fact]
    public async Task ARunNeverOverwritesAnotherRunsResults()
    {
        var path = Scenario("small.yaml", "scenario: guess-two-thirds\nagents: 50\nrounds: 1\n");
        var outDir = Path.Combine(_folder, "once");
        var (code, _, error) = await InvokeAsync(["run", path, "--out", outDir]);
        Assert.True(code == 0, error);
        var summary = File.ReadAllText(Path.Combine(outDir, "summary.json"));

        (code, _, error) = await InvokeAsync(["run", path, "--out", outDir, "--seed", "2"]);
        Assert.Equal(2, code);
        Assert.Contains("already holds a run", error);
        Assert.Equal(summary, File.ReadAllText(Path.Combine(outDir, "summary.json")));
    }

    [Fact]
    public async Task AnUnknownHostingIsNamedAndNothingIsWritten()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds.yaml");
        var outDir = Path.Combine(_folder, "bad-hosting");
        var (code, _, error) = await InvokeAsync(["run", shipped, "--hosting", "sideways", "--out", outDir]);
        Assert.Equal(2, code);
        Assert.Contains("--hosting", error);
        Assert.Contains("unknown hosting 'sideways'", error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task HelpListsTheRunOptions()
    {
        var (code, output, _) = await InvokeAsync(["run", "--help"]);
        Assert.Equal(0, code);
        foreach (var option in new[] { "--agents", "--rounds", "--seed", "--policy", "--partitions", "--hosting", "--out" })
        {
            Assert.Contains(option, output);
        }
    }

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string[] StatsOnly(string jsonl) =>
        File.ReadAllLines(jsonl).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("stats").GetRawText()).ToArray();
}
