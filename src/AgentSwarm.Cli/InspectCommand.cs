using System.Globalization;
using AgentSwarm.Replay;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm inspect LOG --agent N [--round R]`: one agent round by round, from the log alone (<see cref="AgentHistory"/>):
/// its neighbours and memory (from snapshots), its inbox (what its neighbours sent the round before), its action and
/// messages, and every LLM call it made with the prompt and the response.
/// </summary>
internal static class InspectCommand
{
    public static async Task<int> ExecuteAsync(string path, int agent, int? round, TextWriter output, TextWriter error)
    {
        RunLog log;
        AgentHistory history;
        try
        {
            log = RunLog.Open(path);
            history = AgentHistory.Read(log, agent, round);
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            await error.WriteLineAsync($"error: --{ex.ParamName}: {ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal)}");
            return ExitCodes.BadInput;
        }

        var header = log.Header;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"agent {agent} of run {header.RunId} ({header.Scenario}, {header.Agents:N0} agents, policy {header.Policy}, seed {header.Seed}); partition {history.Partition}"));
        await output.WriteLineAsync(history.Neighbours is { } neighbours
            ? $"neighbours: {(neighbours.Length == 0 ? "none" : string.Join(", ", neighbours))}"
            : "profile: no snapshots in this log (run with --snapshot-every N to keep agents' memories)");
        foreach (var r in history.Rounds)
        {
            await output.WriteLineAsync($"--- round {r.Round}");
            await output.WriteLineAsync($"inbox ({r.Inbox.Count}):");
            foreach (var mail in r.Inbox)
            {
                await output.WriteLineAsync($"  from {mail.Agent}: {mail.Text}");
            }

            foreach (var (call, prompt) in r.Calls)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"llm call {call.Sequence + 1} ({call.Endpoint ?? "no endpoint"}, {call.PromptTokens} + {call.OutputTokens} tokens, {call.LatencyMs:F0} ms, {call.Retries} retries{(call.Cached ? ", cached" : string.Empty)}):"));
                foreach (var message in prompt)
                {
                    await output.WriteLineAsync($"  [{message.Role.ToString().ToLowerInvariant()}] {message.Text}");
                }

                await output.WriteLineAsync(call.Response is null ? $"  -> failed: {call.Error}" : $"  -> {call.Response}");
            }

            if (r.Number is { } number)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"action: {number:R}{(r.Text is null ? string.Empty : $" \"{r.Text}\"")}"));
                await output.WriteLineAsync($"sent ({r.Sent.Count}):");
                foreach (var mail in r.Sent)
                {
                    await output.WriteLineAsync($"  to {mail.Agent}: {mail.Text}");
                }
            }

            if (r.Memory is { } memory)
            {
                await output.WriteLineAsync("memory:");
                foreach (var line in memory)
                {
                    await output.WriteLineAsync($"  {line}");
                }
            }
        }

        return ExitCodes.Success;
    }
}
