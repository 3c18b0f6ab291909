using AgentSwarm.Abstractions;
using Orleans.Concurrency;

namespace AgentSwarm.Inference;

/// <summary>
/// The pool's entry point for one run (key: run id and shard), placed on a silo with the inference role. Batches
/// interleave; the calls themselves run on the thread pool so the grain's one thread only hands batches in and out.
/// </summary>
[Reentrant]
[InferencePlacement]
internal sealed class InferenceGrain(InferencePool pool, ILocalSiloDetails silo) : Grain, IInferenceGrain
{
    public async Task<LlmResponse[]> CompleteAsync(string runId, LlmSpec spec, LlmRequest[] requests, CancellationToken cancellationToken)
    {
        return await Task.Run(() => pool.CompleteBatchAsync(runId, spec, requests, cancellationToken), CancellationToken.None);
    }

    public Task<LlmRunStats?> GetStatsAsync(string runId)
    {
        var stats = pool.Stats(runId, silo.SiloAddress.ToString());
        if (stats is null)
        {
            // A client's last poll can land after the run was released: answering it must not keep the grain alive.
            DeactivateOnIdle();
        }

        return Task.FromResult(stats);
    }

    public Task<LlmRunStats?> ReleaseRunAsync(string runId)
    {
        // One grain per run and shard: once the run is over it has nothing left to do.
        DeactivateOnIdle();
        return Task.FromResult(pool.EndRun(runId, silo.SiloAddress.ToString()));
    }
}
