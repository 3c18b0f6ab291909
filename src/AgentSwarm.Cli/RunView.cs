using AgentSwarm.Hosting;
using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AgentSwarm.Cli;

/// <summary>
/// What a person sees during a run: on a terminal, a live progress bar over a growing per-round table; when the
/// output is redirected (CI, a pipe), one plain line per finished round and a progress line every few seconds.
/// </summary>
internal sealed class RunView(IAnsiConsole console, RunSpec spec, bool live)
{
    /// <summary>How often the live view redraws.</summary>
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(200);

    private readonly Table _table = NewTable();
    private readonly object _gate = new();
    private SimulationStatus? _status;
    private LlmRunStats? _llm;
    private DateTime _lastPlainLlm = DateTime.UtcNow;
    private DateTime _lastPlainProgress = DateTime.UtcNow;
    private bool _warned;

    public async Task<T> ShowAsync<T>(Func<Task<T>> run)
    {
        console.MarkupLine(CultureInfo.InvariantCulture, $"[bold]{Markup.Escape(spec.Scenario)}[/]: {spec.Agents:N0} agents, {spec.Rounds} rounds, seed {spec.Seed}, policy {Markup.Escape(spec.Policy.Name)}, topology {spec.Topology.Kind.ToString().ToLowerInvariant()}");
        if (!live)
        {
            return await run();
        }

        T result = default!;
        await console.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            var task = run();
            while (!task.IsCompleted)
            {
                context.UpdateTarget(Render());
                await Task.WhenAny(task, Task.Delay(RefreshInterval));
            }

            result = await task;
            context.UpdateTarget(Render());
        });
        return result;
    }

    public void OnStatus(SimulationStatus status)
    {
        lock (_gate)
        {
            _status = status;
        }

        if (!live && status.State == SimulationState.Running && DateTime.UtcNow - _lastPlainProgress > TimeSpan.FromSeconds(5))
        {
            _lastPlainProgress = DateTime.UtcNow;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Phase(status)}: {status.CurrentRoundAgentsDone:N0}/{status.Agents:N0} agents, {status.Elapsed.TotalSeconds:F1} s"));
        }
    }

    public void OnLlm(LlmRunStats stats)
    {
        lock (_gate)
        {
            _llm = stats;
        }

        if (!live && FailureWarning(stats) is { } warning && !_warned)
        {
            _warned = true;
            console.WriteLine("  " + warning);
        }

        if (!live && DateTime.UtcNow - _lastPlainLlm > TimeSpan.FromSeconds(5))
        {
            _lastPlainLlm = DateTime.UtcNow;
            console.WriteLine("  " + LlmLine(stats.Total));
        }
    }

    private string? FailureWarning(LlmRunStats stats) => RunJobs.FailureWarning(spec, stats.Total.Completed, stats.Total.Failed, finished: false);

    /// <summary>One line of the pool's counters: calls, what saved calls, failures, tokens, latency and load.</summary>
    public static string LlmLine(LlmStats t) => string.Create(
        CultureInfo.InvariantCulture,
        $"llm: {t.Requests:N0} calls: {t.Completed:N0} answered by servers, {t.CacheHits:N0} from cache, {t.Deduplicated:N0} shared, {t.Failed:N0} failed, {t.Retries:N0} retries; tokens {t.PromptTokens:N0} in ({t.CachedPromptTokens:N0} cached) / {t.OutputTokens:N0} out; latency p50 {t.LatencyPercentileMs(50):N0} ms p95 {t.LatencyPercentileMs(95):N0} ms p99 {t.LatencyPercentileMs(99):N0} ms; {t.InFlight:N0} in flight, {t.Queued:N0} queued");

    public void OnRound(RoundResult round)
    {
        var cells = Cells(round);
        lock (_gate)
        {
            if (_table.Columns.Count == 0)
            {
                _table.AddColumns(Header(round).Select(h => new TableColumn(h).RightAligned()).ToArray());
            }

            _table.AddRow(cells);
        }

        if (!live)
        {
            console.WriteLine(string.Join("  ", Header(round).Zip(cells, (h, c) => $"{h}={c}")));
        }
    }

    public void Finish(RunOutcome outcome, string outputDirectory)
    {
        if (!live && _table.Columns.Count > 0)
        {
            console.Write(_table);
        }

        var status = outcome.Final;
        var steps = outcome.Rounds.Sum(r => r.AgentSteps);
        var seconds = outcome.Rounds.Sum(r => r.Elapsed.TotalSeconds);
        var colour = status.State switch
        {
            SimulationState.Completed => "green",
            SimulationState.Cancelled => "yellow",
            _ => "red",
        };
        var degraded = RunJobs.Degraded(spec, outcome);
        colour = degraded ? "yellow" : colour;
        console.MarkupLine(CultureInfo.InvariantCulture, $"[{colour}]{(degraded ? "degraded" : status.State.ToString().ToLowerInvariant())}[/]: {outcome.Rounds.Count}/{status.Rounds} rounds in {outcome.Wall.TotalSeconds:F2} s (set-up {status.SetupTime.TotalSeconds:F2} s), {(seconds > 0 ? steps / seconds : 0):N0} agent-steps/s");
        if (status.Error is { } error)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(error)}");
        }

        if (outcome.Llm is { } llm)
        {
            console.WriteLine(LlmLine(llm.Total));
            foreach (var endpoint in llm.Endpoints)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {endpoint.Endpoint}: {endpoint.Completed:N0} ok / {endpoint.Requests:N0} sent, {endpoint.Failed:N0} failed, {endpoint.Retries:N0} retries{(endpoint.CircuitOpen ? ", circuit open" : string.Empty)}{(endpoint.BusySeconds > 0 ? $", simulated GPU busy {endpoint.BusySeconds:F1} s" : string.Empty)}"));
            }
        }

        if (outcome.Rounds.Count > 0 && outcome.Rounds[^1].Stats is GuessRoundStats { Count: > 0 } last && spec.Config is GuessTwoThirdsConfig config)
        {
            var chart = new BarChart().Label(string.Create(CultureInfo.InvariantCulture, $"round {outcome.Rounds[^1].Round} guesses (target {last.Target:F2})")).Width(60);
            var width = config.Max / last.Histogram.Length;
            for (var b = 0; b < last.Histogram.Length; b++)
            {
                chart.AddItem(string.Create(CultureInfo.InvariantCulture, $"{b * width,6:F1}-{(b + 1) * width:F1}"), last.Histogram[b], Color.Green);
            }

            console.Write(chart);
        }

        console.MarkupLine($"results: {Markup.Escape(outputDirectory)}");
    }

    private IRenderable Render()
    {
        lock (_gate)
        {
            var status = _status;
            // Set-up (creating the agents) counts as one more pass over the population.
            var total = (double)spec.Agents * (spec.Rounds + 1);
            var done = status is null ? 0
                : status.State != SimulationState.Running
                    ? (double)(status.RoundsCompleted + 1) * spec.Agents
                    : status.CurrentRound == 0 && status.RoundsCompleted == 0
                        ? status.CurrentRoundAgentsDone
                        : (double)(status.RoundsCompleted + 1) * spec.Agents + status.CurrentRoundAgentsDone;
            var fraction = total > 0 ? Math.Clamp(done / total, 0, 1) : 0;
            const int width = 40;
            var filled = (int)Math.Round(fraction * width);
            var bar = new string('█', filled) + new string('░', width - filled);
            var phase = status is null ? "starting" : Phase(status);
            var agents = status is { State: SimulationState.Running }
                ? string.Create(CultureInfo.InvariantCulture, $"  {status.CurrentRoundAgentsDone:N0}/{spec.Agents:N0} agents")
                : string.Empty;
            var line = string.Create(CultureInfo.InvariantCulture, $"[green]{bar}[/] {fraction:P0}  {phase}{agents}  {status?.Elapsed.TotalSeconds ?? 0:F1} s");
            if (_llm is { } llm)
            {
                line += "\n" + Markup.Escape(LlmLine(llm.Total));
                if (FailureWarning(llm) is { } warning)
                {
                    line += "\n[yellow]" + Markup.Escape(warning) + "[/]";
                }
            }

            return _table.Columns.Count == 0 ? new Markup(line) : new Rows(_table, new Markup(line));
        }
    }

    private static string Phase(SimulationStatus status) => status switch
    {
        { State: not SimulationState.Running } => string.Create(CultureInfo.InvariantCulture, $"{status.State.ToString().ToLowerInvariant()} after {status.RoundsCompleted}/{status.Rounds} rounds"),
        { CurrentRound: 0, RoundsCompleted: 0 } => "creating agents",
        _ => string.Create(CultureInfo.InvariantCulture, $"round {status.CurrentRound}/{status.Rounds}"),
    };

    private static Table NewTable() => new Table().Border(TableBorder.Simple);

    private static string[] Header(RoundResult round) =>
        ["round", "seconds", "steps/s", "messages", .. round.Stats.Columns().Select(c => c.Key)];

    private static string[] Cells(RoundResult round)
    {
        var seconds = round.Elapsed.TotalSeconds;
        return
        [
            round.Round.ToString(CultureInfo.InvariantCulture),
            seconds.ToString("F3", CultureInfo.InvariantCulture),
            (seconds > 0 ? round.AgentSteps / seconds : 0).ToString("N0", CultureInfo.InvariantCulture),
            round.Messages.ToString("N0", CultureInfo.InvariantCulture),
            .. round.Stats.Columns().Select(c => Format(c.Value)),
        ];
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "-" : value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? value.ToString("N0", CultureInfo.InvariantCulture)
            : value.ToString("F3", CultureInfo.InvariantCulture);
}
