using System.Diagnostics;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Replay;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace AgentSwarm.Hosting;

/// <summary>A replay of a logged run: its outcome, each round compared with the recording, and every difference found.</summary>
/// <param name="Until">The last round replayed.</param>
public sealed record ReplayResult(RunOutcome Outcome, IReadOnlyList<RecordedRounds.Comparison> Rounds, IReadOnlyList<string> Problems, int Until)
{
    public bool Verified => Outcome.Final.State == SimulationState.Completed && Problems.Count == 0;
}

/// <summary>
/// Runs a logged simulation again on a silo, with the recorded LLM responses in place of the backend (no server
/// needed), and compares every round's state hash and statistics with the recording; or, from the records, recomputes
/// the rounds from the recorded actions without stepping any agent. `agentswarm replay` and the console's verify share it.
/// </summary>
public static class LogReplay
{
    /// <summary>
    /// Replays rounds 1..<paramref name="until"/> (null: every complete round). With <paramref name="verify"/> the
    /// log's records are also checked against their own hashes. Throws <see cref="LogFormatException"/> when the log
    /// has no complete round or its header does not decode.
    /// </summary>
    public static async Task<ReplayResult> RunAsync(IClusterClient client, IServiceProvider services, RunLog log, int? until, bool verify, bool fromRecords, RunCallbacks callbacks, CancellationToken cancellationToken)
    {
        if (log.LastCompleteRound == 0)
        {
            throw new LogFormatException($"{log.Directory}: the log has no complete round to replay");
        }

        var last = Math.Min(until ?? log.LastCompleteRound, log.LastCompleteRound);
        var problems = verify ? log.SelfCheck(last).ToList() : [];
        var spec = Spec(log, services.GetRequiredService<Serializer>(), last);
        RunOutcome outcome;
        if (fromRecords)
        {
            outcome = FromRecords(log, spec, services.GetRequiredService<ScenarioCatalog>().Get(spec.Scenario), last, callbacks.OnRound);
        }
        else
        {
            var runId = $"replay-{log.Header.RunId}-{Guid.NewGuid().ToString("N")[..8]}";
            outcome = await new SimulationDriver(client).RunAsync(runId, spec, callbacks.OnStatus, callbacks.OnRound, cancellationToken, callbacks.OnLlm);
            if (outcome.Final.State == SimulationState.Completed)
            {
                await client.GetGrain<ISimulationGrain>(runId).ReleaseAsync();
            }
        }

        if (outcome.Final.State != SimulationState.Completed)
        {
            return new ReplayResult(outcome, [], problems, last);
        }

        var (compared, differences) = RecordedRounds.Compare(log, outcome.Rounds, compareHashes: !fromRecords);
        problems.AddRange(differences);
        return new ReplayResult(outcome, compared, problems, last);
    }

    /// <summary>The spec that replays rounds 1..<paramref name="until"/> of the log from its recorded LLM responses.</summary>
    public static RunSpec Spec(RunLog log, Serializer serializer, int until) =>
        RecordedRounds.Spec(log, serializer) with { Log = new RunLogSpec(null, 0, log.Directory, until, 0, StopAfter: until) };

    /// <summary>The rounds recomputed from the recorded actions (<see cref="RecordedRounds.Recompute"/>), as a run's outcome.</summary>
    public static RunOutcome FromRecords(RunLog log, RunSpec spec, IScenario scenario, int until, Action<RoundResult>? onRound)
    {
        var clock = Stopwatch.StartNew();
        var rounds = RecordedRounds.Recompute(log, spec, scenario, until, onRound);
        var status = new SimulationStatus("replay", SimulationState.Completed, spec.Agents, spec.Rounds, spec.Partitions, rounds.Count, 0, 0, clock.Elapsed, TimeSpan.Zero, rounds[^1], null);
        return new RunOutcome(status, rounds, clock.Elapsed);
    }
}
