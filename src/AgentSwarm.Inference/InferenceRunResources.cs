using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference;

/// <summary>Releases a finished run's inference grains (one per shard) and the pool state behind them; returns the run's counters.</summary>
internal sealed class InferenceRunResources(IGrainFactory grains, IOptions<InferenceOptions> options) : IRunResources
{
    public async Task<LlmRunStats?> ReleaseAsync(string runId, RunSpec spec)
    {
        if (spec.Policy.Name != PolicyNames.Llm)
        {
            return null;
        }

        var stats = await Task.WhenAll(InferenceClient.Shards(grains, runId, options.Value.Shards).Select(g => g.ReleaseRunAsync(runId)));
        return LlmStatsMath.Merge(stats);
    }
}
