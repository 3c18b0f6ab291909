using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Replay;

namespace AgentSwarm.Web;

/// <summary>
/// One round's LLM calls as the run's event log recorded them: what the console's LLM charts draw for a run that is
/// not live (a live run's charts follow the pool's counters as they arrive). Counted as the pool counts its total:
/// tokens and latency are of the calls a server answered (a call served by the response cache, or shared with an
/// identical call in flight, spent no tokens and has no latency of its own).
/// </summary>
/// <param name="Seconds">The round's wall time, as rounds.jsonl has it (the log's own when rounds.jsonl lacks the round).</param>
/// <param name="Calls">Every call the round's agents made, whatever its outcome.</param>
/// <param name="Completed">Calls a server answered.</param>
/// <param name="Cached">Calls served by the response cache or shared with an identical call in flight.</param>
/// <param name="CallsPerSecond"><paramref name="Calls"/> over <paramref name="Seconds"/>; null for a round that took no time.</param>
/// <param name="LatencyP50Ms">Latency percentiles of the completed calls, each the upper edge of its <see cref="LatencyHistogram"/> bucket (within 9%), as the live counters give them; null when the round completed none.</param>
/// <remarks>
/// The simulated GPU's busy time is not here: the log records each call's tokens and latency, not the GPU's batched
/// steps that served it, so it cannot be split by round. The run's total is in summary.json (<c>llm.total.simulatedGpuSeconds</c>).
/// </remarks>
public sealed record LlmRound(
    int Round,
    double Seconds,
    long Calls,
    long Completed,
    long Failed,
    long Cancelled,
    long Cached,
    long Retries,
    double? CallsPerSecond,
    long PromptTokens,
    long OutputTokens,
    double? LatencyP50Ms,
    double? LatencyP95Ms,
    double? LatencyP99Ms)
{
    /// <summary>
    /// Every complete round of the log, with its calls; empty when the log recorded no LLM call. Reads the whole LLM
    /// stream: call it off the request's thread.
    /// </summary>
    /// <param name="roundSeconds">The run's rounds as rounds.jsonl has them (their <c>round</c> and <c>seconds</c>).</param>
    public static IReadOnlyList<LlmRound> Read(RunLog log, IEnumerable<JsonNode> roundSeconds)
    {
        var last = log.LastCompleteRound;
        if (last == 0)
        {
            return [];
        }

        var counts = new Counts[last + 1];
        var any = false;
        foreach (var (call, _) in log.LlmCalls(last))
        {
            if (call.Round < 1)
            {
                continue;
            }

            any = true;
            var round = counts[call.Round] ??= new Counts();
            round.Calls++;
            round.Retries += call.Retries;
            switch ((LlmOutcome)call.Outcome)
            {
                case LlmOutcome.Failed:
                    round.Failed++;
                    break;
                case LlmOutcome.Cancelled:
                    round.Cancelled++;
                    break;
                case LlmOutcome.Ok when call.Cached:
                    round.Cached++;
                    break;
                case LlmOutcome.Ok:
                    round.Completed++;
                    round.PromptTokens += call.PromptTokens;
                    round.OutputTokens += call.OutputTokens;
                    round.Latency[LatencyHistogram.BucketOf(call.LatencyMs)]++;
                    break;
            }
        }

        if (!any)
        {
            return [];
        }

        var seconds = new Dictionary<int, double>();
        foreach (var record in roundSeconds)
        {
            if (record["round"] is JsonValue r && r.TryGetValue<int>(out var round) && record["seconds"] is JsonValue s && s.TryGetValue<double>(out var value))
            {
                seconds[round] = value;
            }
        }

        var rounds = new List<LlmRound>(log.Rounds.Count);
        foreach (var end in log.Rounds)
        {
            var c = counts[end.Round] ?? new Counts();
            var elapsed = seconds.TryGetValue(end.Round, out var fromFile) ? fromFile : TimeSpan.FromTicks(end.ElapsedTicks).TotalSeconds;
            double? Percentile(double p) => c.Completed > 0 ? LatencyHistogram.Percentile(c.Latency, p) : null;
            rounds.Add(new LlmRound(
                end.Round,
                elapsed,
                c.Calls,
                c.Completed,
                c.Failed,
                c.Cancelled,
                c.Cached,
                c.Retries,
                elapsed > 0 ? c.Calls / elapsed : null,
                c.PromptTokens,
                c.OutputTokens,
                Percentile(50),
                Percentile(95),
                Percentile(99)));
        }

        return rounds;
    }

    private sealed class Counts
    {
        public long Calls;
        public long Completed;
        public long Failed;
        public long Cancelled;
        public long Cached;
        public long Retries;
        public long PromptTokens;
        public long OutputTokens;
        public readonly long[] Latency = new long[LatencyHistogram.Buckets];
    }
}
