using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench console`: what watching costs. The same heuristic guess-2/3 run (1M agents, log written, as
/// `agentswarm run` writes it) four ways, each in a process of its own: plain (no console); launched and watched in
/// the console (an event stream open and the runs list polled as the pages do); with OTLP export on (to a sink in the
/// process that discards what it gets); and with Orleans' dashboard mounted and open (its counters polled, so it
/// profiles grain calls).
/// </summary>
internal static class ConsoleBench
{
    public static readonly string[] Modes = ["plain", "console", "otlp", "dashboard"];

    private const string JsonPrefix = "{\"bench\":\"console\"";

    /// <summary>Agents of the warm-up run (<see cref="Settings.Warm"/>), or the measured run's where that has fewer.</summary>
    public const int WarmUpAgents = 50_000;

    /// <param name="Repeat">Times each mode runs (interleaved, so drift on a shared machine hits every mode alike); the table gives medians.</param>
    /// <param name="Warm">
    /// Measure a process that has already served a run, as a console or silo that has been up a while has: each mode
    /// first runs the same scenario with <see cref="WarmUpAgents"/> agents in the same process (console and all), then
    /// the measured run. Without it the measured run is the process's first and pays the runtime's one-off compiling.
    /// </param>
    public sealed record Settings(string Mode, int Agents, int Rounds, AgentHosting Hosting, int Repeat = 1, bool Warm = false);

    public static async Task<int> ExecuteAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (settings.Mode != "all")
        {
            var one = await RunModeAsync(settings, error, cancellationToken);
            await output.WriteLineAsync(one.ToJsonString());
            return ExitCodes.Success;
        }

        var runs = new List<JsonObject>();
        for (var repeat = 1; repeat <= settings.Repeat; repeat++)
        {
            foreach (var mode in Modes)
            {
                await error.WriteLineAsync($"bench console: {mode}, run {repeat}/{settings.Repeat} (own process)");
                var child = await RunChildAsync(settings with { Mode = mode }, error, cancellationToken);
                if (child is null)
                {
                    return ExitCodes.Failed;
                }

                runs.Add(child);
            }
        }

        var results = Modes.Select(mode => Median(runs.Where(r => (string)r["mode"]! == mode).ToList())).ToList();
        var plain = (double)results[0]["roundSeconds"]!;
        await output.WriteLineAsync($"medians of {settings.Repeat} run(s) each");
        await output.WriteLineAsync("mode | hosting | agents | rounds | round s (sum) | range | steady steps/s | wall s | CPU s | JIT s in run | rounds vs plain");
        foreach (var r in results)
        {
            var slower = plain > 0 ? ((double)r["roundSeconds"]! / plain) - 1 : 0;
            r["slowerThanPlain"] = Math.Round(slower, 4);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{r["mode"]} | {r["hosting"]} | {(int)r["agents"]!:N0} | {r["rounds"]} | {(double)r["roundSeconds"]!:F2} | {(double)r["roundSecondsMin"]!:F2}-{(double)r["roundSecondsMax"]!:F2} | {(double)r["steadyAgentStepsPerSecond"]!:N0} | {(double)r["wallSeconds"]!:F2} | {(double)r["cpuSeconds"]!:F2} | {(double)r["runJitSeconds"]!:F2} | {slower:+0.0%;-0.0%;0.0%}"));
        }

        if (results.FirstOrDefault(r => (string)r["mode"]! == "otlp") is { } otlp && otlp["exporterThreadsCpuSeconds"] is { } exporterCpu)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"otlp (first run): the exporters' own threads spent {(double)exporterCpu:F2} CPU s of the run's {(double)otlp["cpuSeconds"]!:F2} ({(double)exporterCpu / (double)otlp["cpuSeconds"]!:P2}); {otlp["exportRequests"]} requests, {(long)otlp["exportBytes"]!:N0} bytes to the collector, which took {(double)otlp["collectorSeconds"]!:F3} s"));
        }

        await output.WriteLineAsync(new JsonObject { ["bench"] = "console", ["repeat"] = settings.Repeat, ["modes"] = new JsonArray([.. results.Select(r => (JsonNode)r.DeepClone())]) }.ToJsonString());
        return ExitCodes.Success;
    }

    /// <summary>One row of a mode's runs: the median of each figure, and the range of the round times.</summary>
    private static JsonObject Median(List<JsonObject> runs)
    {
        double Of(string key) => runs.Select(r => (double)r[key]!).Order().ElementAt(runs.Count / 2);
        var row = runs[0].DeepClone().AsObject();
        row.Remove("perRoundSeconds");
        foreach (var key in new[] { "roundSeconds", "steadyAgentStepsPerSecond", "wallSeconds", "cpuSeconds", "runJitSeconds" })
        {
            row[key] = Of(key);
        }

        row["roundSecondsMin"] = runs.Min(r => (double)r["roundSeconds"]!);
        row["roundSecondsMax"] = runs.Max(r => (double)r["roundSeconds"]!);
        row["runs"] = runs.Count;
        return row;
    }

    private static async Task<JsonObject> RunModeAsync(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"agentswarm-bench-console-{settings.Mode}-{Guid.NewGuid().ToString("N")[..8]}");
        // Both sides run the same scenario text: the console parses it from its folder, plain mode here.
        var yaml = Yaml(settings);
        var spec = Scenarios.Files.ScenarioFile.Parse(yaml, "bench.yaml");
        var whole = new CostWindow();
        whole.Begin();
        var gen2Before = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<JsonElement> rounds;
        var export = new ExportTally();
        var window = new CostWindow();
        try
        {
            rounds = settings.Mode == "plain"
                ? await PlainAsync(spec, folder, settings.Warm, window, cancellationToken)
                : await InConsoleAsync(settings, yaml, folder, export, window, error, cancellationToken);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left to the temp cleaner.
            }
        }

        var wall = clock.Elapsed.TotalSeconds;
        whole.End();
        var gen2 = GC.CollectionCount(2) - gen2Before;
        var seconds = rounds.Select(r => r.GetProperty("seconds").GetDouble()).ToArray();
        var steady = seconds.Skip(1).Sum();
        var result = new JsonObject
        {
            ["bench"] = "console",
            ["mode"] = settings.Mode,
            ["hosting"] = settings.Hosting.ToString().ToLowerInvariant(),
            ["agents"] = settings.Agents,
            ["warm"] = settings.Warm,
            ["rounds"] = seconds.Length,
            ["roundSeconds"] = Math.Round(seconds.Sum(), 3),
            ["perRoundSeconds"] = new JsonArray([.. seconds.Select(x => (JsonNode)Math.Round(x, 3))]),
            ["steadyAgentStepsPerSecond"] = steady > 0 ? Math.Round(settings.Agents * (seconds.Length - 1) / steady) : 0,
            ["wallSeconds"] = Math.Round(wall, 3),
            ["cpuSeconds"] = Math.Round(whole.Cpu.TotalSeconds, 3),
            ["jitSeconds"] = Math.Round(whole.Jit.TotalSeconds, 3),
            ["jitMethods"] = whole.Methods,
            ["gen2Collections"] = gen2,
            ["runCpuSeconds"] = Math.Round(window.Cpu.TotalSeconds, 3),
            ["runJitSeconds"] = Math.Round(window.Jit.TotalSeconds, 3),
            ["runJitMethods"] = window.Methods,
            ["processors"] = Environment.ProcessorCount,
        };
        if (settings.Mode == "otlp")
        {
            result["exporterThreadsCpuSeconds"] = export.ExporterCpu is { } exporters ? Math.Round(exporters.TotalSeconds, 3) : null;
            result["exportRequests"] = export.Requests;
            result["exportBytes"] = export.Bytes;
            result["collectorSeconds"] = Math.Round(export.CollectorTime.TotalSeconds, 3);
        }

        return result;
    }

    /// <summary>
    /// From <see cref="Begin"/> to <see cref="End"/>: the process's CPU, the time the JIT spent and the methods it
    /// compiled. Taken over the whole bench process, and over the measured run (launch to last round).
    /// </summary>
    private sealed class CostWindow
    {
        private TimeSpan _cpu;
        private TimeSpan _jit;
        private long _methods;

        public TimeSpan Cpu { get; private set; }

        public TimeSpan Jit { get; private set; }

        public long Methods { get; private set; }

        public void Begin()
        {
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _jit = System.Runtime.JitInfo.GetCompilationTime();
            _methods = System.Runtime.JitInfo.GetCompiledMethodCount();
        }

        public void End()
        {
            Cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
            Jit = System.Runtime.JitInfo.GetCompilationTime() - _jit;
            Methods = System.Runtime.JitInfo.GetCompiledMethodCount() - _methods;
        }
    }

    /// <summary>What reached the in-process collector, and the CPU the exporters' own threads spent.</summary>
    private sealed class ExportTally
    {
        private long _ticks;
        private int _requests;
        private long _bytes;

        public int Requests => Volatile.Read(ref _requests);

        public long Bytes => Interlocked.Read(ref _bytes);

        public TimeSpan CollectorTime => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        /// <summary>CPU of the exporters' threads, null where the platform does not tell a thread's CPU.</summary>
        public TimeSpan? ExporterCpu { get; set; }

        public void Received(long bytes, TimeSpan took)
        {
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _bytes, bytes);
            Interlocked.Add(ref _ticks, took.Ticks);
        }
    }

    /// <summary>A stream that only counts what is written to it.</summary>
    private sealed class CountingStream : Stream
    {
        public long Bytes { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Bytes;

        public override long Position { get => Bytes; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Bytes += count;

        public override void Write(ReadOnlySpan<byte> buffer) => Bytes += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Bytes += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> PlainAsync(RunSpec spec, string folder, bool warm, CostWindow window, CancellationToken cancellationToken)
    {
        await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, cancellationToken);
        if (warm)
        {
            await RunPlainAsync(silo, spec with { Agents = Math.Min(WarmUpAgents, spec.Agents) }, Path.Combine(folder, "warm-up"), cancellationToken);
        }

        window.Begin();
        var outcome = await RunPlainAsync(silo, spec, folder, cancellationToken);
        window.End();
        return [.. outcome.Rounds.Select(r => JsonSerializer.SerializeToElement(RoundRecord.From(r), RunOutput.Json))];
    }

    private static async Task<RunOutcome> RunPlainAsync(EmbeddedSilo silo, RunSpec spec, string folder, CancellationToken cancellationToken)
    {
        var runId = RunJobs.NewRunId(spec.Scenario);
        spec = spec with { Log = new RunLogSpec(Path.Combine(folder, "log")) };
        using var output = new RunOutput(folder);
        var outcome = await RunJobs.RunIntoAsync(new SimulationDriver(silo.Client), silo.Client, runId, spec, output, new RunCallbacks(), cancellationToken);
        Check(outcome.Final.State == SimulationState.Completed, $"the run ended {outcome.Final.State}: {outcome.Final.Error}");
        return outcome;
    }

    private static string Yaml(Settings settings) => string.Create(CultureInfo.InvariantCulture,
        $"scenario: guess-two-thirds\nagents: {settings.Agents}\nrounds: {settings.Rounds}\nseed: 42\nhosting: {settings.Hosting.ToString().ToLowerInvariant()}\n");

    private static async Task<IReadOnlyList<JsonElement>> InConsoleAsync(Settings settings, string yaml, string folder, ExportTally export, CostWindow window, TextWriter error, CancellationToken cancellationToken)
    {
        WebApplication? sink = null;
        var extra = new Dictionary<string, string?>();
        if (settings.Mode == "otlp")
        {
            // A collector that takes everything and keeps nothing: the exporter's whole cost, the collector's almost none
            // (what it does take is timed, and counted apart from the exporters').
            // Watching no files: see ConsoleServer.NoConfigurationReload.
            var builder = WebApplication.CreateSlimBuilder([ConsoleServer.NoConfigurationReload]);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            sink = builder.Build();
            sink.MapPost("/v1/{signal}", async (HttpRequest request) =>
            {
                var started = Stopwatch.GetTimestamp();
                var counting = new CountingStream();
                await request.Body.CopyToAsync(counting);
                export.Received(counting.Bytes, Stopwatch.GetElapsedTime(started));
                return Results.Ok();
            });
            await sink.StartAsync(cancellationToken);
            extra["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Urls.First();
            extra["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";

            // Export every second, as Aspire sets its resources up for its dashboard, rather than the SDK's defaults (a
            // minute for metrics, 5 s for spans and logs), which would leave most of a short run's export to the end.
            extra["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
            extra["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
            extra["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
        }

        try
        {
            var scenarios = Path.Combine(folder, "scenarios");
            Directory.CreateDirectory(scenarios);
            await File.WriteAllTextAsync(Path.Combine(scenarios, "bench.yaml"), yaml, cancellationToken);
            var (siloSettings, defaults) = EmbeddedSilo.Configuration(LogLevel.Warning, extra);
            await using var server = await ConsoleServer.StartAsync(siloSettings, new ConsoleOptions { Urls = "http://127.0.0.1:0", Scenarios = scenarios, Runs = Path.Combine(folder, "runs"), OrleansDashboard = settings.Mode == "dashboard" }, defaults, cancellationToken);
            using var http = new HttpClient { BaseAddress = new Uri(server.Addresses[0]), Timeout = Timeout.InfiniteTimeSpan };
            if (settings.Warm)
            {
                var agents = Math.Min(WarmUpAgents, settings.Agents);
                var warmUp = await LaunchAsync(http, agents, cancellationToken);
                var warmRounds = await WatchAsync(http, warmUp, cancellationToken);
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {settings.Mode}: warm-up run of {agents:N0} agents, {warmRounds.Count} rounds"));
            }

            window.Begin();
            var id = await LaunchAsync(http, null, cancellationToken);

            // What an open run page and runs list do: one event stream, the list every 1.5 s; with the dashboard open, its counters every second.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var events = WatchAsync(http, id, stop.Token);
            var polls = PollAsync(http, "/api/runs", TimeSpan.FromSeconds(1.5), stop.Token);
            var dashboard = settings.Mode == "dashboard" ? PollAsync(http, "/orleans/DashboardCounters", TimeSpan.FromSeconds(1), stop.Token) : Task.FromResult(0);
            var rounds = await events;
            window.End();
            await stop.CancelAsync();
            var pollCount = await polls + await dashboard;
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {settings.Mode}: {rounds.Count} rounds watched, {pollCount} polls answered"));
            var run = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}", cancellationToken);
            Check(run.GetProperty("run").GetProperty("state").GetString() == "completed", $"the run ended {run.GetProperty("run").GetProperty("state")}");

            // OpenTelemetry's batch and periodic exporters each run on a thread of their own ("OpenTelemetry-..."), which
            // serializes and sends: read before the console stops and the threads end (their final flush is left out).
            export.ExporterCpu = ThreadCpu.OfThreadsNamed("OpenTelemetry");
            return rounds;
        }
        finally
        {
            if (sink is not null)
            {
                await sink.DisposeAsync();
            }
        }
    }

    private static async Task<string> LaunchAsync(HttpClient http, int? agents, CancellationToken cancellationToken)
    {
        using var launched = await http.PostAsJsonAsync("/api/runs", new LaunchRequest(Scenario: "bench.yaml", Agents: agents), cancellationToken);
        launched.EnsureSuccessStatusCode();
        return (await launched.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!;
    }

    private static async Task<List<JsonElement>> WatchAsync(HttpClient http, string id, CancellationToken cancellationToken)
    {
        var rounds = new List<JsonElement>();
        await using var stream = await http.GetStreamAsync($"/api/runs/{id}/events", cancellationToken);
        using var reader = new StreamReader(stream);
        string? name = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                if (name == "round")
                {
                    rounds.Add(JsonDocument.Parse(line[6..]).RootElement.Clone());
                }
                else if (name == "end")
                {
                    break;
                }
            }
        }

        return rounds;
    }

    private static async Task<int> PollAsync(HttpClient http, string path, TimeSpan every, CancellationToken cancellationToken)
    {
        var answered = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var response = await http.GetAsync(path, cancellationToken);
                answered += response.IsSuccessStatusCode ? 1 : 0;
                await Task.Delay(every, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }

        return answered;
    }

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException(problem);
        }
    }

    private static async Task<JsonObject?> RunChildAsync(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        string[] args = ["bench", "console", "--mode", settings.Mode, "--agents", settings.Agents.ToString(CultureInfo.InvariantCulture), "--rounds", settings.Rounds.ToString(CultureInfo.InvariantCulture), "--hosting", settings.Hosting.ToString().ToLowerInvariant(), .. settings.Warm ? new[] { "--warm" } : []];
        return await BenchProcess.RunAsync(args, JsonPrefix, $"mode {settings.Mode}", error, cancellationToken);
    }
}
