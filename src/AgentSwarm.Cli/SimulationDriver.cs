using System.Diagnostics;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Cli;

/// <summary>How a run ended, as the client saw it.</summary>
/// <param name="Llm">The inference pool's counters for the run (null when it made no LLM calls).</param>
internal sealed record RunOutcome(SimulationStatus Final, IReadOnlyList<RoundResult> Rounds, TimeSpan Wall, LlmRunStats? Llm = null);

/// <summary>Starts a run on a cluster and follows it to the end, reporting status and each finished round.</summary>
internal sealed class SimulationDriver(IClusterClient client)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Inference grains per run, as the silo's <see cref="Inference.InferenceOptions.Shards"/> says.</summary>
    public int InferenceShards { get; init; } = 1;

    public async Task<RunOutcome> RunAsync(
        string runId,
        RunSpec spec,
        Action<SimulationStatus>? onStatus,
        Action<RoundResult>? onRound,
        CancellationToken cancellationToken,
        Action<LlmRunStats>? onLlm = null)
    {
        var usesLlm = spec.Policy.Name == PolicyNames.Llm;
        var inference = usesLlm ? Inference.InferenceClient.Shards(client, runId, InferenceShards) : [];
        LlmRunStats? llm = null;
        var clock = Stopwatch.StartNew();
        var simulation = client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(spec);
        var rounds = new List<RoundResult>();
        var cancelSent = false;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested && !cancelSent)
            {
                await simulation.CancelAsync();
                cancelSent = true;
            }

            var status = await simulation.GetStatusAsync();
            if (status.RoundsCompleted > rounds.Count)
            {
                foreach (var round in await simulation.GetRoundsAsync(rounds.Count + 1))
                {
                    rounds.Add(round);
                    onRound?.Invoke(round);
                }
            }

            if (usesLlm)
            {
                llm = Inference.LlmStatsMath.Merge(await Task.WhenAll(inference.Select(g => g.GetStatsAsync(runId))));
                if (llm is not null)
                {
                    onLlm?.Invoke(llm);
                }
            }

            onStatus?.Invoke(status);
            if (status.State is SimulationState.Completed or SimulationState.Cancelled or SimulationState.Failed)
            {
                return new RunOutcome(status, rounds, clock.Elapsed, llm);
            }

            try
            {
                await Task.Delay(PollInterval, cancelSent ? CancellationToken.None : cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the next pass asks the controller to cancel and waits for it to say so.
            }
        }
    }
}
