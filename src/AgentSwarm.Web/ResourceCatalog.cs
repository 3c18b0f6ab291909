using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.Files;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Orleans.Runtime;

namespace AgentSwarm.Web;

/// <summary>A fact shown on a resource: a name, a label, and a string, number, boolean or null.</summary>
public sealed record ResourceFact(string Name, string Label, object? Value);

/// <summary>Whether an action can be taken now.</summary>
public enum ActionAvailability
{
    Enabled,
    Disabled,
}

/// <summary>An input an action asks for before it runs.</summary>
/// <param name="Choices">For a pick-one input, its choices (value to label); null for a typed value.</param>
public sealed record ActionInput(string Name, string Label, bool Number, bool Required, string? Placeholder, string Description, IReadOnlyDictionary<string, string>? Choices);

/// <summary>Something a user can do to a resource.</summary>
public sealed record ResourceAction(string Name, string Label, string Description, ActionAvailability Availability, string? Confirm = null, bool Highlighted = false, string? Icon = null)
{
    public IReadOnlyList<ActionInput> Inputs { get; init; } = [];
}

/// <summary>One thing AgentSwarm shows a dashboard: the console itself, a silo of the cluster, or a run.</summary>
/// <param name="Url">Where the console shows it, when it does.</param>
/// <param name="Parent">The resource it belongs to (a run's is the console).</param>
public sealed record ResourceView(
    string Name,
    string Type,
    string State,
    string Style,
    DateTime? StartedUtc,
    DateTime? StoppedUtc,
    IReadOnlyList<ResourceFact> Facts,
    string? Url,
    IReadOnlyList<ResourceAction> Actions,
    string? Parent);

/// <summary>How an action ended.</summary>
public enum ActionResult
{
    Succeeded,
    Failed,
    InvalidInputs,
}

/// <summary>An action's outcome: a sentence, and for replays a Markdown report.</summary>
public sealed record ActionOutcome(ActionResult Result, string Message, string? Markdown = null);

/// <summary>
/// The console's runs and the cluster's silos as resources with actions (start a scenario; cancel, resume, replay a
/// run), for dashboards that list resources. This is AgentSwarm's side; the Aspire dashboard's wire contract is spoken
/// only by <see cref="Aspire.DashboardResourceService"/>, so a change of that contract stays out of here.
/// </summary>
public sealed class ResourceCatalog(RunBoard board, ScenarioLibrary library, IClusterClient client, IServer server)
{
    public const string ConsoleType = "AgentSwarm console";
    public const string SiloType = "Silo";
    public const string RunType = "Run";
    public const string ConsoleName = "agentswarm-console";

    public const string Start = "start";
    public const string Cancel = "cancel";
    public const string Resume = "resume";
    public const string Replay = "replay";

    public RunBoard Board => board;

    /// <summary>The inputs of the start action: the scenario file (one of the folder's), and agents, rounds and seed (the file's when left empty).</summary>
    public IReadOnlyList<ActionInput> StartInputs() =>
    [
        new("file", "Scenario file", Number: false, Required: true, null, $"A scenario in {library.Folder}.",
            library.List().ToDictionary(e => e.Name, e => e.Name, StringComparer.Ordinal)),
        new("agents", "Agents", Number: true, Required: false, "the file's", "How many agents; empty keeps the file's.", null),
        new("rounds", "Rounds", Number: true, Required: false, "the file's", "How many rounds; empty keeps the file's.", null),
        new("seed", "Seed", Number: true, Required: false, "the file's", "The run's random seed; empty keeps the file's.", null),
    ];

    /// <summary>Every resource now: the console, each active silo, each run the console knows.</summary>
    public async Task<IReadOnlyList<ResourceView>> SnapshotAsync()
    {
        var link = ConsoleLink();
        var resources = new List<ResourceView>
        {
            new(ConsoleName, ConsoleType, "Running", "success", null, null,
                [new("scenarios", "Scenarios folder", library.Folder), new("runs", "Runs folder", board.Folder)],
                link, [new(Start, "Start a scenario", "Launch a scenario file with its agents, rounds and seed.", ActionAvailability.Enabled, Highlighted: true, Icon: "Play") { Inputs = StartInputs() }], null),
        };

        var hosts = await client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        foreach (var host in hosts.OrderBy(h => h.SiloAddress.ToString(), StringComparer.Ordinal))
        {
            resources.Add(new ResourceView(
                $"silo-{host.SiloName}", SiloType, host.Status == SiloStatus.Active ? "Running" : host.Status.ToString(), host.Status == SiloStatus.Active ? "success" : "warning", host.StartTime, null,
                [new("address", "Address", host.SiloAddress.ToString()), new("host", "Host", host.HostName), new("status", "Status", host.Status.ToString())],
                null, [], null));
        }

        foreach (var run in board.List())
        {
            resources.Add(View(run, link));
        }

        return resources;
    }

    /// <summary>Checks the start action's inputs; the run they describe, or each input's problems.</summary>
    public (RunSpec? Spec, string? Name, IReadOnlyDictionary<string, string[]> Problems) CheckStart(IReadOnlyDictionary<string, string?> inputs)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        int? Whole(string name, long min)
        {
            if (!inputs.TryGetValue(name, out var text) || string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > int.MaxValue)
            {
                problems[name] = [$"'{text}' is not a whole number from {min} to {int.MaxValue}"];
                return null;
            }

            return (int)value;
        }

        var agents = Whole("agents", 1);
        var rounds = Whole("rounds", 1);
        ulong? seed = null;
        if (inputs.TryGetValue("seed", out var seedText) && !string.IsNullOrWhiteSpace(seedText))
        {
            if (ulong.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            {
                seed = parsed;
            }
            else
            {
                problems["seed"] = [$"'{seedText}' is not a whole number from 0 to {ulong.MaxValue}"];
            }
        }

        if (!inputs.TryGetValue("file", out var file) || string.IsNullOrWhiteSpace(file))
        {
            problems["file"] = ["choose a scenario file"];
            return (null, null, problems);
        }

        string text;
        try
        {
            text = library.Read(file);
        }
        catch (ConsoleProblem ex)
        {
            problems["file"] = [ex.Message];
            return (null, null, problems);
        }

        if (problems.Count > 0)
        {
            return (null, file, problems);
        }

        var (spec, errors) = library.Validate(file, text, new RunOverrides(agents, rounds, seed));
        if (spec is null)
        {
            // A mistake in what was typed names its field; one in the file is the file's.
            var field = errors[0].Field switch
            {
                "agents" => "agents",
                "rounds" => "rounds",
                "seed" => "seed",
                _ => "file",
            };
            problems[field] = [errors[0].Message];
        }

        return (spec, file, problems);
    }

    /// <summary>The start action, with the run its inputs passed <see cref="CheckStart"/> with (checked once, not again here).</summary>
    public ActionOutcome StartChecked(RunSpec spec, string file)
    {
        try
        {
            var entry = board.Start(spec, file);
            return new ActionOutcome(ActionResult.Succeeded, $"started run {entry.Id}: {spec.Agents:N0} agents, {spec.Rounds} rounds, seed {spec.Seed}");
        }
        catch (ConsoleProblem ex)
        {
            return new ActionOutcome(ActionResult.Failed, ex.Message);
        }
    }

    /// <summary>Problems of the start action's inputs as one line, each named by its input.</summary>
    public static string Describe(IReadOnlyDictionary<string, string[]> problems) =>
        string.Join("; ", problems.Select(p => $"{p.Key}: {string.Join(", ", p.Value)}"));

    /// <summary>Takes an action on a run (cancel, resume, replay); the start action is <see cref="StartChecked"/>.</summary>
    public async Task<ActionOutcome> ExecuteAsync(string resource, string action, CancellationToken cancellationToken)
    {
        try
        {
            if (!resource.StartsWith(RunPrefix, StringComparison.Ordinal))
            {
                return new ActionOutcome(ActionResult.Failed, $"'{resource}' has no action '{action}'");
            }

            var id = resource[RunPrefix.Length..];
            switch (action)
            {
                case Cancel:
                    await board.CancelAsync(id);
                    return new ActionOutcome(ActionResult.Succeeded, $"cancelling run {id}");
                case Resume:
                    board.Resume(id);
                    return new ActionOutcome(ActionResult.Succeeded, $"resumed run {id} from its log");
                case Replay:
                    var result = await board.VerifyAsync(id, cancellationToken);
                    var same = result.Rounds.Count(r => r.SameHash && r.SameStats);
                    var summary = result.Verified
                        ? $"verified: all {result.Rounds.Count} rounds match the recording"
                        : $"not verified: {same} of {result.Rounds.Count} rounds match; {string.Join("; ", result.Problems)}";
                    var table = string.Join('\n', result.Rounds.Select(r => $"| {r.Round} | {r.RecordedHash:x16} | {r.ReplayedHash:x16} | {(r.SameHash && r.SameStats ? "yes" : "NO")} |"));
                    return new ActionOutcome(result.Verified ? ActionResult.Succeeded : ActionResult.Failed, summary,
                        $"**Run {id}**: {summary}\n\n| round | recorded | replayed | same |\n| --- | --- | --- | --- |\n{table}\n");
                default:
                    return new ActionOutcome(ActionResult.Failed, $"a run has no action '{action}'");
            }
        }
        catch (ConsoleProblem ex)
        {
            return new ActionOutcome(ActionResult.Failed, ex.Message);
        }
    }

    /// <summary>Runs are named by their id with this prefix, so no run can take the console's or a silo's name.</summary>
    public const string RunPrefix = "run-";

    private static ResourceView View(RunEntry run, string? link)
    {
        var running = run.Live && run.State is "starting" or "pending" or "running";
        var (state, style) = run.State switch
        {
            "completed" => ("Finished", "success"),
            "cancelled" => ("Cancelled", "warning"),
            "failed" or "unreadable" => ("Failed", "error"),
            "stopped" or "detached" or "degraded" => (Title(run.State), "warning"),
            "starting" or "pending" => ("Starting", "info"),
            "running" => ("Running", "info"),
            _ => (Title(run.State), "unknown"),
        };
        List<ResourceFact> facts =
        [
            new("scenario", "Scenario", run.Scenario),
            new("policy", "Policy", run.Policy),
            new("agents", "Agents", run.Agents),
            new("rounds", "Rounds", $"{run.RoundsCompleted} / {run.RoundsPlanned}"),
            new("wall", "Wall seconds", Math.Round(run.WallSeconds, 1)),
            new("log", "Has a log", run.HasLog),
        ];
        if (run.Llm is { } llm)
        {
            facts.Add(new("llm.calls", "LLM calls", llm.Requests));
            facts.Add(new("llm.tokens", "LLM tokens", llm.PromptTokens + llm.OutputTokens));
        }

        if (run.Error is { } error)
        {
            facts.Add(new("error", "Error", error));
        }

        List<ResourceAction> actions =
        [
            new(Cancel, "Cancel", "Stop the run at its next round; its log keeps what it did.", running ? ActionAvailability.Enabled : ActionAvailability.Disabled, $"Cancel run {run.Id}?", Icon: "Stop"),
            new(Resume, "Resume", "Go on from the log of a run that stopped short.", run.Resumable ? ActionAvailability.Enabled : ActionAvailability.Disabled, Icon: "ArrowClockwise"),
            new(Replay, "Replay and verify", "Replay the run from its log and compare every round with the recording.", !run.Live && run.HasLog ? ActionAvailability.Enabled : ActionAvailability.Disabled, Icon: "History"),
        ];
        var stopped = run.Live ? (DateTime?)null : run.StartedUtc + TimeSpan.FromSeconds(run.WallSeconds);
        return new ResourceView(RunPrefix + run.Id, RunType, state, style, run.StartedUtc, stopped, facts,
            link is null ? null : $"{link}#/runs/{Uri.EscapeDataString(run.Id)}", actions, ConsoleName);
    }

    private static string Title(string state) => state.Length == 0 ? state : char.ToUpperInvariant(state[0]) + state[1..];

    // The console's addresses are bound before the resource service's, so the first is a page's.
    private string? ConsoleLink() =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } address ? address.TrimEnd('/') + "/" : null;
}
