using System.Diagnostics;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using Orleans.Serialization;

namespace AgentSwarm.Replay;

/// <summary>
/// What a log says about its run as a whole: the run spec in its header, the rounds recomputed from the recorded
/// actions, and a replay compared with the recording. Shared by every host that replays or verifies a log.
/// </summary>
public static class RecordedRounds
{
    /// <summary>The run spec the header holds (Orleans-serialized when the run started).</summary>
    /// <exception cref="LogFormatException">The header's spec is empty or does not decode.</exception>
    public static RunSpec Spec(RunLog log, Serializer serializer)
    {
        try
        {
            return serializer.Deserialize<RunSpec>(log.Header.Spec)
                ?? throw new LogFormatException($"{log.Directory}: the header's run spec is empty");
        }
        catch (Exception ex) when (ex is not LogFormatException)
        {
            throw new LogFormatException($"{log.Directory}: the header's run spec does not decode ({ex.Message}): the log was written by an incompatible agentswarm");
        }
    }

    /// <summary>
    /// The rounds 1..<paramref name="until"/> as the recorded actions make them: each partition's actions reduced by
    /// the scenario, the partials merged in partition order, the broadcast passed on, as the controller does; no agent
    /// runs. The state hash is the recorded one (<see cref="RunLog.SelfCheck"/> checks the records against it).
    /// </summary>
    public static List<RoundResult> Recompute(RunLog log, RunSpec spec, IScenario scenario, int until, Action<RoundResult>? onRound = null)
    {
        var byRound = log.PartitionRounds(until).GroupBy(r => r.Round).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Partition).ToList());
        var rounds = new List<RoundResult>();
        var broadcast = scenario.FirstBroadcast(new RoundContext("replay", 1, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds));
        for (var round = 1; round <= until; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var context = new RoundContext("replay", round, spec.Seed, spec.Scenario, spec.Config, spec.Policy, broadcast, spec.Agents, spec.Rounds);
            var partials = new List<RoundPartial>();
            foreach (var record in byRound.GetValueOrDefault(round) ?? [])
            {
                var actions = new AgentAction[record.Numbers.Length];
                for (var i = 0; i < actions.Length; i++)
                {
                    actions[i] = new AgentAction(record.Numbers[i], record.Texts?[i]);
                }

                partials.Add(scenario.Reduce(context, record.First, actions));
            }

            var stats = scenario.Merge(context, partials);
            broadcast = scenario.NextBroadcast(context, stats);
            var recorded = log.Rounds[round - 1];
            var result = new RoundResult(round, Stopwatch.GetElapsedTime(started), recorded.AgentSteps, recorded.Messages, recorded.DroppedMessages, stats, recorded.StateHash);
            rounds.Add(result);
            onRound?.Invoke(result);
        }

        return rounds;
    }

    /// <summary>One replayed round beside its recording.</summary>
    public sealed record Comparison(int Round, ulong RecordedHash, ulong ReplayedHash, bool SameStats, TimeSpan Recorded, TimeSpan Replayed)
    {
        public bool SameHash => RecordedHash == ReplayedHash;
    }

    /// <summary>
    /// Each replayed round beside the recorded one, and the differences as sentences naming the round. Hashes are
    /// compared only when <paramref name="compareHashes"/> (a replay from records reuses the recorded hash).
    /// </summary>
    public static (List<Comparison> Rounds, List<string> Problems) Compare(RunLog log, IReadOnlyList<RoundResult> replayed, bool compareHashes)
    {
        var rows = new List<Comparison>();
        var problems = new List<string>();
        foreach (var round in replayed)
        {
            var recorded = log.Rounds[round.Round - 1];
            var columns = round.Stats.Columns();
            var sameStats = columns.Select(c => c.Key).SequenceEqual(recorded.Columns)
                && columns.Select(c => c.Value).Zip(recorded.Values).All(p => p.First.Equals(p.Second));
            if (compareHashes && round.StateHash != recorded.StateHash)
            {
                problems.Add($"round {round.Round}: the replay's state hash {round.StateHash:x16} differs from the recorded {recorded.StateHash:x16}");
            }

            if (!sameStats)
            {
                problems.Add($"round {round.Round}: the replay's statistics differ from the recorded ones");
            }

            rows.Add(new Comparison(round.Round, recorded.StateHash, round.StateHash, sameStats, TimeSpan.FromTicks(recorded.ElapsedTicks), round.Elapsed));
        }

        return (rows, problems);
    }
}
