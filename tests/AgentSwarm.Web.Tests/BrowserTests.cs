using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace AgentSwarm.Web.Tests;

/// <summary>The console's pages in a real Chromium, against the console's real API and an embedded silo.</summary>
[Collection(ConsoleCollection.Name)]
[Trait("Category", "Browser")]
public sealed class BrowserTests(ConsoleFixture console, BrowserFixture browser)
{
    [Fact]
    public async Task LaunchingGuessFromThePageShowsItsChartAndTableReachTheLastRound()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{console.Address}/#/scenarios/guess-two-thirds.yaml");
        await Assertions.Expect(page.Locator("#yaml")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("scenario: guess-two-thirds"));
        await page.FillAsync("#agents", "5000");
        await page.FillAsync("#rounds", "6");
        await page.ClickAsync("#launch");

        // Launch moves to the run's page by its hash (no page load to wait for): wait for what the page shows.
        await page.Locator("#run-state [data-state=completed]").WaitForAsync();
        Assert.Contains("#/runs/guess-two-thirds-", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#rounds tbody tr")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("#trajectory polyline[data-series=mean] ~ circle").First).ToBeVisibleAsync();
        Assert.Equal(6, await page.Locator("#trajectory polyline[data-series=target]").EvaluateAsync<int>("p => p.points.numberOfItems"));
        Assert.Equal(10, await page.Locator("#histogram rect[data-bin]").CountAsync());
        Assert.Equal("round 6 of 6", await page.InnerTextAsync("#round-label"));

        // Step back through the rounds: the histogram shows round 1's guesses.
        await page.Locator("#round-slider").FillAsync("1");
        Assert.Equal("round 1 of 6", await page.InnerTextAsync("#round-label"));

        // Click round 1's fullest bar: it lists that many agents, each a link to the agent's page.
        var id = page.Url[(page.Url.IndexOf("#/runs/", StringComparison.Ordinal) + 7)..];
        var histogram = (await console.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/rounds"))[0].GetProperty("stats").GetProperty("histogram").EnumerateArray().Select(b => b.GetInt64()).ToArray();
        var fullest = Array.IndexOf(histogram, histogram.Max());
        await page.Locator($"#histogram rect[data-bin='{fullest}']").ClickAsync();
        await Assertions.Expect(page.Locator("#bin-agents strong")).ToContainTextAsync($"{histogram[fullest]:N0} agents in bar {fullest + 1}");
        Assert.Equal(Math.Min(200, histogram[fullest]), await page.Locator("#bin-agents a[data-agent]").CountAsync());
        var first = await page.Locator("#bin-agents a[data-agent]").First.GetAttributeAsync("data-agent");
        await page.Locator("#bin-agents a[data-agent]").First.ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex($"#/runs/{id}/agents/{first}$"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "run.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AScenarioWithAMistakeShowsTheErrorAtItsLineAndLaunchesNothing()
    {
        var runsBefore = (await console.Http.GetFromJsonAsync<JsonElement>("/api/runs")).GetArrayLength();
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{console.Address}/#/scenarios/guess-two-thirds.yaml");
        await Assertions.Expect(page.Locator("#yaml")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("scenario: guess-two-thirds"));
        var yaml = await page.InputValueAsync("#yaml");
        var broken = yaml.Replace("  ratio: 2/3 ", "  ratio: two thirds ", StringComparison.Ordinal);
        Assert.NotEqual(yaml, broken);
        var line = broken[..broken.IndexOf("ratio: two thirds", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        await page.FillAsync("#yaml", broken);
        await page.ClickAsync("#launch");

        var error = page.Locator($"#errors li[data-line='{line}']");
        await error.WaitForAsync();
        Assert.Contains("game.ratio", await error.InnerTextAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator($"#gutter div.bad[data-line='{line}']")).ToBeVisibleAsync();
        Assert.Contains("not launched", await page.InnerTextAsync("#launch-result"), StringComparison.Ordinal);
        Assert.Contains("#/scenarios", page.Url, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "scenario-error.png"), FullPage = true });
        Assert.Equal(runsBefore, (await console.Http.GetFromJsonAsync<JsonElement>("/api/runs")).GetArrayLength());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ARunIsCancelledFromTheRunsPage()
    {
        var id = await console.LaunchAsync(new { scenario = "slow.yaml", yaml = "scenario: guess-two-thirds\nagents: 200\nrounds: 200\npolicy:\n  name: dummy-latency\n  latency: 200ms\n" });
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{console.Address}/#/");
        var row = page.Locator($"tr[data-run='{id}']");
        await row.Locator(".state[data-state=running]").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "runs.png"), FullPage = true });
        await row.Locator("button[data-action=cancel]").ClickAsync();
        await row.Locator(".state[data-state=cancelled]").WaitForAsync();
        await Assertions.Expect(row.Locator("button[data-action=resume]")).ToBeVisibleAsync();
        var run = await console.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");
        Assert.Equal("cancelled", run.GetProperty("run").GetProperty("state").GetString());
        Assert.True(run.GetProperty("run").GetProperty("roundsCompleted").GetInt32() < 200);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAgentOfAnAgentsNetLlmRunShowsItsTranscript()
    {
        var id = await console.LaunchAsync(new { scenario = "agentsnet-llm.yaml" });
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{console.Address}/#/runs/{id}");
        await page.Locator("#run-state [data-state=completed]").WaitForAsync();
        await page.Locator("#score").WaitForAsync();
        await Assertions.Expect(page.Locator("#llm-card")).ToBeVisibleAsync();
        // Once it has ended, the charts are its calls by round, from its log: tokens and the latency percentiles, and
        // the run's GPU time as a total (the log does not split it by round).
        await Assertions.Expect(page.Locator("#llm-gpu")).ToContainTextAsync("over the whole run");
        foreach (var series in new[] { "#llm-tokens [data-series=prompt]", "#llm-tokens [data-series=output]", "#llm-latency [data-series=p95]" })
        {
            await Assertions.Expect(page.Locator(series)).ToHaveCountAsync(1);
        }

        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "agentsnet-run.png"), FullPage = true });

        await page.FillAsync("#agent-index", "5");
        await page.ClickAsync("#open-agent");
        await page.Locator(".llm-call").First.WaitForAsync();
        var system = await page.Locator(".llm-call .msg.system pre").First.InnerTextAsync();
        var agent = await console.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/agents/5");
        var firstCall = agent.GetProperty("rounds").EnumerateArray().SelectMany(r => r.GetProperty("calls").EnumerateArray()).First();
        Assert.Equal(firstCall.GetProperty("prompt")[0].GetProperty("text").GetString(), system);
        var response = await page.Locator(".llm-call .msg.assistant pre").First.InnerTextAsync();
        Assert.Equal(firstCall.GetProperty("response").GetString(), response);
        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "agent.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AFinishedLlmRunsPageDrawsItsLlmChartsWithOnePointPerRound()
    {
        // Ended before the page opens: the page never sees the pool's counters move, only the run as it ended.
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds-llm.yaml", agents = 10, rounds = 4, seed = 9, llm = new[] { "simulated=h100-llama3-8b?clock=virtual" } });
        await console.WaitForEndAsync(id);
        var rounds = (await console.Http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/llm-rounds")).EnumerateArray().ToList();
        Assert.Equal(4, rounds.Count);

        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{console.Address}/#/runs/{id}");
        await page.Locator("#run-state [data-state=completed]").WaitForAsync();
        foreach (var (chart, series) in new[] { ("llm-rate", "calls/s"), ("llm-tokens", "prompt"), ("llm-tokens", "output"), ("llm-latency", "p50"), ("llm-latency", "p95"), ("llm-latency", "p99") })
        {
            // Four points, "x,y x,y x,y x,y": one per round (waited for: the page asks for the rounds once the run's end arrives).
            await Assertions.Expect(page.Locator($"#{chart} polyline[data-series='{series}']")).ToHaveAttributeAsync("points", OnePointPerRound(4));
        }

        Assert.Equal(4, await page.Locator("#llm-rate circle").CountAsync());

        // The points are the rounds' own numbers: round 3's prompt tokens, as the API counted them from the log.
        var tip = await page.Locator("#llm-tokens circle title").Nth(2).TextContentAsync();
        Assert.Equal("prompt round 3: " + rounds[2].GetProperty("promptTokens").GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture), tip);
        await Assertions.Expect(page.Locator("#llm-gpu")).ToContainTextAsync("Not drawn by round");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AFinishedRunIsReplayedFromThePageAndVerified()
    {
        var id = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 5000, rounds = 4, seed = 11 });
        await console.WaitForEndAsync(id);
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{console.Address}/#/runs/{id}");
        await page.Locator("#run-state [data-state=completed]").WaitForAsync();
        await page.ClickAsync("#verify");
        var verified = page.Locator("#verified");
        await verified.WaitForAsync();
        Assert.Equal("verified: all 4 rounds match the recording", await verified.InnerTextAsync());
        await page.ClickAsync("#report");
        await page.Locator("#files a", new() { HasText = "report/mean-target.png" }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "verified.png"), FullPage = true });

        // Two runs side by side: the same charts overlaid.
        var other = await console.LaunchAsync(new { scenario = "guess-two-thirds.yaml", agents = 5000, rounds = 4, seed = 12 });
        await console.WaitForEndAsync(other);
        await page.GotoAsync($"{console.Address}/#/compare/{id}/{other}");
        await page.Locator("#compare-mean polyline").Nth(1).WaitForAsync();
        Assert.Equal(2, await page.Locator("#compare-mean polyline").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(browser.Screenshots, "compare.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    private static System.Text.RegularExpressions.Regex OnePointPerRound(int rounds) => new($@"^[^ ,]+,[^ ,]+( [^ ,]+,[^ ,]+){{{rounds - 1}}}$");
}
