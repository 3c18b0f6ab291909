using AgentSwarm.Hosting;
using System.Globalization;
using AgentSwarm.Replay;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm inspect LOG --agent N [--round R]`: one agent round by round, from the log alone: its neighbours and
/// memory (from snapshots), its inbox (what its neighbours sent the round before), its action and messages, and every
/// LLM call it made with the prompt and the response.
/// </summary>
internal static class InspectCommand
{
    public static async Task<int> ExecuteAsync(string path, int agent, int? round, TextWriter output, TextWriter error)
    {
        try
        {
            var log = RunLog.Open(path);
            var header = log.Header;
            if (agent < 0 || agent >= header.Agents)
            {
                await error.WriteLineAsync($"error: --agent: the run has agents 0..{header.Agents - 1}, not {agent}");
                return ExitCodes.BadInput;
            }

            if (round is { } asked && (asked < 1 || asked > log.LastCompleteRound))
            {
                await error.WriteLineAsync($"error: --round: the log has complete rounds 1..{log.LastCompleteRound}, not {asked}");
                return ExitCodes.BadInput;
            }

            var bounds = log.Bounds();
            var partition = Array.FindLastIndex(bounds, b => b <= agent);
            bool Wanted(int x) => round is null || x == round;

            // Inbox of round r: what was sent to the agent in round r - 1 (read in r), from any partition.
            var inbox = new Dictionary<int, List<(int From, string Text)>>();
            var actions = new Dictionary<int, (double Number, string? Text, List<(int To, string Text)> Sent)>();
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
                                (inbox.TryGetValue(record.Round + 1, out var list) ? list : inbox[record.Round + 1] = []).Add((record.First + i, record.SentText[m]));
                            }
                        }
                    }
                }

                if (record.Partition == partition && Wanted(record.Round))
                {
                    var local = agent - record.First;
                    var sent = new List<(int, string)>();
                    for (var m = record.SentOffsets[local]; m < record.SentOffsets[local + 1]; m++)
                    {
                        sent.Add((record.SentTo[m], record.SentText[m]));
                    }

                    actions[record.Round] = (record.Numbers[local], record.Texts?[local], sent);
                }
            }

            var calls = log.LlmCalls().Where(c => c.Call.Agent == agent && Wanted(c.Call.Round)).OrderBy(c => (c.Call.Round, c.Call.Sequence)).ToList();
            var snapshots = log.Snapshots().Where(s => s.Agent == agent).OrderBy(s => s.Round).ToList();

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"agent {agent} of run {header.RunId} ({header.Scenario}, {header.Agents:N0} agents, policy {header.Policy}, seed {header.Seed}); partition {partition}"));
            if (snapshots.Count > 0)
            {
                await output.WriteLineAsync($"neighbours: {(snapshots[^1].Neighbours.Length == 0 ? "none" : string.Join(", ", snapshots[^1].Neighbours))}");
            }
            else
            {
                await output.WriteLineAsync("profile: no snapshots in this log (run with --snapshot-every N to keep agents' memories)");
            }

            foreach (var r in Enumerable.Range(1, log.LastCompleteRound).Where(Wanted))
            {
                await output.WriteLineAsync($"--- round {r}");
                var mail = inbox.GetValueOrDefault(r) ?? [];
                await output.WriteLineAsync($"inbox ({mail.Count}):");
                foreach (var (from, text) in mail.OrderBy(m => m.From))
                {
                    await output.WriteLineAsync($"  from {from}: {text}");
                }

                foreach (var (call, prompt) in calls.Where(c => c.Call.Round == r))
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"llm call {call.Sequence + 1} ({call.Endpoint ?? "no endpoint"}, {call.PromptTokens} + {call.OutputTokens} tokens, {call.LatencyMs:F0} ms, {call.Retries} retries{(call.Cached ? ", cached" : string.Empty)}):"));
                    foreach (var message in prompt)
                    {
                        await output.WriteLineAsync($"  [{message.Role.ToString().ToLowerInvariant()}] {message.Text}");
                    }

                    await output.WriteLineAsync(call.Response is null ? $"  -> failed: {call.Error}" : $"  -> {call.Response}");
                }

                if (actions.TryGetValue(r, out var action))
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"action: {action.Number:R}{(action.Text is null ? string.Empty : $" \"{action.Text}\"")}"));
                    await output.WriteLineAsync($"sent ({action.Sent.Count}):");
                    foreach (var (to, text) in action.Sent)
                    {
                        await output.WriteLineAsync($"  to {to}: {text}");
                    }
                }

                foreach (var snapshot in snapshots.Where(s => s.Round == r))
                {
                    await output.WriteLineAsync("memory:");
                    foreach (var line in snapshot.Memory)
                    {
                        await output.WriteLineAsync($"  {line}");
                    }
                }
            }

            return ExitCodes.Success;
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }
    }
}
