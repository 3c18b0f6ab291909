using AgentSwarm.Abstractions;

namespace AgentSwarm.Replay;

/// <summary>A message one agent received (<see cref="Agent"/> = its sender) or sent (<see cref="Agent"/> = its receiver).</summary>
public sealed record AgentMail(int Agent, string Text);

/// <summary>One LLM call an agent made: the record (endpoint, tokens, latency, response or error) and the whole prompt.</summary>
public sealed record AgentLlmCall(LlmCallRecord Call, LlmMessage[] Prompt);

/// <summary>One agent in one round: its inbox (sent to it the round before), its LLM calls, its action and its mail, its memory (from a snapshot).</summary>
public sealed record AgentRound(int Round, IReadOnlyList<AgentMail> Inbox, IReadOnlyList<AgentLlmCall> Calls, double? Number, string? Text, IReadOnlyList<AgentMail> Sent, string[]? Memory);

/// <summary>
/// One agent, round by round, from the log alone: its partition, neighbours (from its last snapshot), and per round what
/// <see cref="AgentRound"/> holds. What <c>inspect</c> prints and the console's agent page shows.
/// </summary>
public sealed record AgentHistory(int Agent, int Partition, int[]? Neighbours, IReadOnlyList<AgentRound> Rounds)
{
    /// <summary>Reads agent <paramref name="agent"/>'s history, for every complete round or for <paramref name="round"/> only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The run has no such agent, or the log no such complete round; the message names the range.</exception>
    /// <exception cref="LogFormatException">The log's records do not read.</exception>
    public static AgentHistory Read(RunLog log, int agent, int? round = null)
    {
        var header = log.Header;
        if (agent < 0 || agent >= header.Agents)
        {
            throw new ArgumentOutOfRangeException(nameof(agent), $"the run has agents 0..{header.Agents - 1}, not {agent}");
        }

        if (round is { } asked && (asked < 1 || asked > log.LastCompleteRound))
        {
            throw new ArgumentOutOfRangeException(nameof(round), $"the log has complete rounds 1..{log.LastCompleteRound}, not {asked}");
        }

        var partition = Array.FindLastIndex(log.Bounds(), b => b <= agent);
        bool Wanted(int x) => round is null || x == round;

        // The inbox of round r: what was sent to the agent in round r - 1 (read in r), from any partition.
        var inbox = new Dictionary<int, List<AgentMail>>();
        var actions = new Dictionary<int, (double Number, string? Text, List<AgentMail> Sent)>();
        foreach (var record in log.PartitionRounds())
        {
            if (Wanted(record.Round + 1))
            {
                for (var i = 0; i < record.Numbers.Length; i++)
                {
                    for (var m = record.SentOffsets[i]; m < record.SentOffsets[i + 1]; m++)
                    {
                        if (record.SentTo[m] == agent)
                        {
                            (inbox.TryGetValue(record.Round + 1, out var list) ? list : inbox[record.Round + 1] = []).Add(new AgentMail(record.First + i, record.SentText[m]));
                        }
                    }
                }
            }

            if (record.Partition == partition && Wanted(record.Round))
            {
                var local = agent - record.First;
                var sent = new List<AgentMail>();
                for (var m = record.SentOffsets[local]; m < record.SentOffsets[local + 1]; m++)
                {
                    sent.Add(new AgentMail(record.SentTo[m], record.SentText[m]));
                }

                actions[record.Round] = (record.Numbers[local], record.Texts?[local], sent);
            }
        }

        var calls = log.LlmCalls().Where(c => c.Call.Agent == agent && Wanted(c.Call.Round)).OrderBy(c => (c.Call.Round, c.Call.Sequence)).ToList();
        var snapshots = log.Snapshots().Where(s => s.Agent == agent).OrderBy(s => s.Round).ToList();
        var rounds = new List<AgentRound>();
        foreach (var r in Enumerable.Range(1, log.LastCompleteRound).Where(Wanted))
        {
            var action = actions.TryGetValue(r, out var a) ? a : ((double Number, string? Text, List<AgentMail> Sent)?)null;
            rounds.Add(new AgentRound(
                r,
                [.. (inbox.GetValueOrDefault(r) ?? []).OrderBy(m => m.Agent)],
                [.. calls.Where(c => c.Call.Round == r).Select(c => new AgentLlmCall(c.Call, c.Prompt))],
                action?.Number,
                action?.Text,
                action?.Sent ?? [],
                snapshots.LastOrDefault(s => s.Round == r)?.Memory));
        }

        return new AgentHistory(agent, partition, snapshots.Count > 0 ? snapshots[^1].Neighbours : null, rounds);
    }
}
