using System.Diagnostics;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Hosting;

/// <summary>How a run ended, as the client saw it.</summary>
/// <param name="Llm">The inference pool's counters for the run (null when it made no LLM calls).</param>
/// <param name="Info">The controller's view at the end: spec with its log folder, placement, recoveries.</param>
public sealed record RunOutcome(SimulationStatus Final, IReadOnlyList<RoundResult> Rounds, TimeSpan Wall, LlmRunStats? Llm = null, RunInfo? Info = null);

/// <summary>Starts a run on a cluster, or follows one already there, reporting status and each finished round.</summary>
public sealed class SimulationDriver(IClusterClient client)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Inference grains per run, as the silo's <see cref="Inference.InferenceOptions.Shards"/> says.</summary>
    public int InferenceShards { get; init; } = 1;

    /// <summary>
    /// What Ctrl+C (the token) does: false cancels the run (an embedded run ends with its client); true only stops
    /// following it, since a cluster's run belongs to the cluster. The outcome is then the status when it stopped.
    /// </summary>
    public bool DetachOnCancel { get; init; }

    /// <summary>How long polls may keep failing (the gateway's or the controller's silo lost) before the client gives up. Default: 2 min.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one poll may take before it counts as failed (a call to a gone silo can wait its whole response timeout). Default: 5 s.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Asked once polls have failed for <see cref="LostAfter"/>: whether any silo of the cluster still answers. When it
    /// says no, following ends with <see cref="ClusterLostException"/> (the run lives on in the cluster's storage)
    /// instead of waiting out <see cref="Patience"/>. Null: never asked (an embedded silo).
    /// </summary>
    public Func<CancellationToken, Task<bool>>? ClusterAnswers { get; init; }

    /// <summary>How long polls fail before <see cref="ClusterAnswers"/> is asked. Default: 3 s.</summary>
    public TimeSpan LostAfter { get; init; } = TimeSpan.FromSeconds(3);

    public async Task<RunOutcome> RunAsync(
        string runId,
        RunSpec spec,
        Action<SimulationStatus>? onStatus,
        Action<RoundResult>? onRound,
        CancellationToken cancellationToken,
        Action<LlmRunStats>? onLlm = null)
    {
        await client.GetGrain<ISimulationGrain>(runId).StartAsync(spec);
        return await FollowAsync(runId, spec.Policy.Name == PolicyNames.Llm, onStatus, onRound, cancellationToken, onLlm);
    }

    /// <summary>Follows a run to its end (or, with <see cref="DetachOnCancel"/>, until the token fires).</summary>
    public async Task<RunOutcome> FollowAsync(
        string runId,
        bool usesLlm,
        Action<SimulationStatus>? onStatus,
        Action<RoundResult>? onRound,
        CancellationToken cancellationToken,
        Action<LlmRunStats>? onLlm = null,
        int roundsSeen = 0)
    {
        var inference = usesLlm ? Inference.InferenceClient.Shards(client, runId, InferenceShards) : [];
        LlmRunStats? llm = null;
        var clock = Stopwatch.StartNew();
        var simulation = client.GetGrain<ISimulationGrain>(runId);
        var rounds = new List<RoundResult>();
        var cancelSent = false;
        var failing = Stopwatch.StartNew();
        Task<RunOutcome?>? pending = null;

        // A poll that outlives the loop (it gave up on a lost cluster) reports nothing to callers that have moved on.
        var following = true;
        try
        {
            return await LoopAsync();
        }
        finally
        {
            following = false;
        }

        async Task<RunOutcome> LoopAsync()
        {
            while (true)
            {
                try
                {
                    RunOutcome? outcome;
                    if (ClusterAnswers is null)
                    {
                        outcome = await PollAsync();
                    }
                    else
                    {
                        // A poll that outlives its timeout is waited for again next time, never run twice at once.
                        var poll = pending ??= PollAsync();
                        try
                        {
                            outcome = await poll.WaitAsync(PollTimeout, CancellationToken.None);
                            pending = null;
                        }
                        catch when (poll.IsCompleted)
                        {
                            // The poll itself failed (as opposed to outliving the wait): the next pass asks anew.
                            pending = null;
                            throw;
                        }
                    }

                    if (outcome is not null)
                    {
                        return outcome;
                    }

                    failing.Restart();
                }
                catch (Exception ex) when (IsTransient(ex) && failing.Elapsed < Patience)
                {
                    // A silo went (this client's gateway, or the controller's): the cluster recovers; ask again shortly,
                    // unless no silo of it answers at all.
                    if (ClusterAnswers is { } answers && failing.Elapsed >= LostAfter && !await answers(CancellationToken.None))
                    {
                        throw new ClusterLostException(runId, failing.Elapsed);
                    }
                }

                try
                {
                    await Task.Delay(PollInterval, cancelSent ? CancellationToken.None : cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the next pass cancels the run (or detaches) and says so.
                }
            }
        }

        async Task<RunOutcome?> PollAsync()
        {
            if (cancellationToken.IsCancellationRequested && !cancelSent)
            {
                if (DetachOnCancel)
                {
                    var now = await simulation.GetStatusAsync();
                    return new RunOutcome(now, rounds, clock.Elapsed, llm, await simulation.GetInfoAsync());
                }

                await simulation.CancelAsync();
                cancelSent = true;
            }

            var status = await simulation.GetStatusAsync();
            if (status.RoundsCompleted > rounds.Count + roundsSeen)
            {
                foreach (var round in await simulation.GetRoundsAsync(rounds.Count + roundsSeen + 1))
                {
                    if (!following)
                    {
                        return null;
                    }

                    rounds.Add(round);
                    onRound?.Invoke(round);
                }
            }

            if (usesLlm && status.State == SimulationState.Running)
            {
                llm = Inference.LlmStatsMath.Merge(await Task.WhenAll(inference.Select(g => g.GetStatsAsync(runId))));
                if (llm is not null && following)
                {
                    onLlm?.Invoke(llm);
                }
            }

            if (following)
            {
                onStatus?.Invoke(status);
            }

            if (status.State is SimulationState.Completed or SimulationState.Cancelled or SimulationState.Failed)
            {
                // The controller released the pool's per-run state and kept its final counters.
                var info = await simulation.GetInfoAsync();
                if (info?.Llm is { } final)
                {
                    llm = final;
                    onLlm?.Invoke(final);
                }

                return new RunOutcome(status, rounds, clock.Elapsed, llm, info);
            }

            return null;
        }
    }

    private static bool IsTransient(Exception exception) =>
        exception is TimeoutException || ClusterConnection.IsSiloGone(exception)
        || exception.InnerException is { } inner && IsTransient(inner);
}
