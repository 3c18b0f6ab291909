using AgentSwarm.Testing;

namespace AgentSwarm.Cli.Tests;

public sealed class ConsoleCommandTests
{
    [Fact]
    public async Task AnAddressThatIsNotOneIsNamedWithExitCode2()
    {
        var (code, _, error) = await Cli.InvokeAsync("console", "--urls", "localhost:5180");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("error: --urls: 'localhost:5180' is not an http:// or https:// address", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AResourceServiceAddressThatIsNotOneIsNamedWithExitCode2()
    {
        var (code, _, error) = await Cli.InvokeAsync("console", "--urls", "http://127.0.0.1:0", "--resource-service", "localhost:5181");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("error: --resource-service: 'localhost:5181' is not an http:// or https:// address", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABenchModeThatDoesNotExistIsNamedWithExitCode2()
    {
        var (code, _, error) = await Cli.InvokeAsync("bench", "console", "--mode", "sideways");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("error: --mode: unknown mode 'sideways'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("otlp")]
    public async Task TheConsoleBenchMeasuresARunAfterAWarmUpRunAndSaysWhatTheJitTook(string mode)
    {
        var (code, output, error) = await Cli.InvokeAsync("bench", "console", "--mode", mode, "--agents", "2000", "--rounds", "3", "--warm");
        Assert.True(code == ExitCodes.Success, error);
        var line = System.Text.Json.JsonDocument.Parse(output.Split('\n').Single(l => l.StartsWith("{\"bench\":\"console\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal(mode, line.GetProperty("mode").GetString());
        Assert.True(line.GetProperty("warm").GetBoolean());
        Assert.Equal(3, line.GetProperty("rounds").GetInt32());
        Assert.Equal(3, line.GetProperty("perRoundSeconds").GetArrayLength());

        // The run's window is inside the process's: its CPU and JIT time are parts of the whole.
        Assert.InRange(line.GetProperty("runCpuSeconds").GetDouble(), 0.001, line.GetProperty("cpuSeconds").GetDouble());
        Assert.InRange(line.GetProperty("runJitSeconds").GetDouble(), 0, line.GetProperty("jitSeconds").GetDouble());
        Assert.InRange(line.GetProperty("runJitMethods").GetInt64(), 0, line.GetProperty("jitMethods").GetInt64());
        if (mode == "otlp")
        {
            Assert.True(line.GetProperty("exportRequests").GetInt32() > 0, "nothing reached the collector");
            Assert.True(line.GetProperty("exportBytes").GetInt64() > 0);
        }
    }

    [Fact]
    public async Task TheConsoleServesUntilCancelledAndSaysWhereItIs()
    {
        using var stop = new CancellationTokenSource();
        var output = new SignallingWriter("AgentSwarm console: ", stop);
        var error = new StringWriter();
        var scenarios = Directory.CreateTempSubdirectory("agentswarm-console-cli-").FullName;
        var code = await AgentSwarmCommand.InvokeAsync(["console", "--urls", "http://127.0.0.1:0", "--resource-service", "http://127.0.0.1:0", "--scenarios", scenarios, "--runs", scenarios], output, error, stop.Token);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Matches(@"AgentSwarm console: http://127\.0\.0\.1:\d+/", output.ToString());
        Assert.Matches(@"Aspire resource service: http://127\.0\.0\.1:\d+ \(give the Aspire dashboard Dashboard__ResourceServiceClient__Url=", output.ToString());
        Assert.Contains("AgentSwarm console is stopping", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASiloWithTheConsoleRoleRunsWhatItsConsoleLaunches()
    {
        var folder = Path.Combine(Path.GetTempPath(), "agentswarm-console-silo-" + Guid.NewGuid().ToString("N")[..8]);
        var silo = Hosting.EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var gateway = Hosting.EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = new LinkWriter();
        var command = AgentSwarmCommand.InvokeAsync(
            ["silo", "--roles", "agents,inference,console", "--urls", "http://127.0.0.1:0", "--silo-port", silo, "--gateway-port", gateway, "--primary-port", silo,
             "--cluster-id", "console-" + silo, "--scenarios", Path.Combine(Repository.Root(), "scenarios"), "--log-root", folder],
            output,
            new StringWriter(),
            stop.Token);
        var link = await output.Link.Task.WaitAsync(TimeSpan.FromMinutes(1));
        using var http = new HttpClient { BaseAddress = new Uri(link) };
        var launched = await http.PostAsync("/api/runs", new StringContent("""{"scenario":"guess-two-thirds.yaml","agents":500,"rounds":2}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, launched.StatusCode);
        var id = System.Text.Json.JsonDocument.Parse(await launched.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await using (var events = await http.GetStreamAsync($"/api/runs/{id}/events"))
        {
            using var reader = new StreamReader(events);
            while (await reader.ReadLineAsync() is { } line && line != "event: end")
            {
            }
        }

        // The run's results beside the log the silo wrote under its log root (the console's runs folder by default).
        Assert.True(File.Exists(Path.Combine(folder, id, "summary.json")));
        Assert.True(Directory.Exists(Path.Combine(folder, id, "log")));
        Assert.Contains("of cluster console-", output.ToString(), StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await command);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task ASiloWithoutTheConsoleServesItsHealthChecksWhereAsked()
    {
        var silo = Hosting.EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var gateway = Hosting.EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = new LinkWriter("health checks: ");
        var command = AgentSwarmCommand.InvokeAsync(
            ["silo", "--health-urls", "http://127.0.0.1:0", "--silo-port", silo, "--gateway-port", gateway, "--primary-port", silo, "--cluster-id", "health-" + silo],
            output,
            new StringWriter(),
            stop.Token);
        var health = (await output.Link.Task.WaitAsync(TimeSpan.FromMinutes(1))).Split(' ')[0].TrimEnd(',');
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/health$", health);
        using var http = new HttpClient();
        var ready = await http.GetAsync(health);
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", await http.GetStringAsync(health.Replace("/health", "/alive", StringComparison.Ordinal)));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(health.Replace("/health", "/api/runs", StringComparison.Ordinal))).StatusCode);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await command);
    }

    [Fact]
    public async Task HealthUrlsOnAConsoleSiloAreRefusedWithExitCode2()
    {
        var (code, _, error) = await Cli.InvokeAsync("silo", "--roles", "agents,console", "--health-urls", "http://127.0.0.1:0");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--health-urls: a silo with the console role serves /health and /alive on its --urls", error, StringComparison.Ordinal);
    }

    /// <summary>A writer that cancels the command once it has printed the line that says it is up.</summary>
    private sealed class SignallingWriter(string signal, CancellationTokenSource stop) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith(signal, StringComparison.Ordinal) == true)
            {
                stop.CancelAfter(TimeSpan.FromMilliseconds(100));
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task AConsoleGivenAScenariosFolderThatIsNotThereSaysSoAndDoesNotStart()
    {
        var missing = Path.Combine(Path.GetTempPath(), "agentswarm-no-such-folder-" + Guid.NewGuid().ToString("N")[..8]);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(["console", "--urls", "http://127.0.0.1:0", "--scenarios", missing], output, error);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"--scenarios: '{missing}' is not a folder", error.ToString());
        Assert.False(Directory.Exists(missing));
    }
}
