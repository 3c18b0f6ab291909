using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine;

/// <summary>
/// Per-run state a feature keeps on the cluster's silos (the inference pool's counters and cache, say). A long-lived
/// silo runs many runs, so the controller releases each feature's share when its run ends.
/// </summary>
public interface IRunResources
{
    /// <summary>Drops the run's state everywhere it lives; returns the run's final LLM counters, or null.</summary>
    Task<LlmRunStats?> ReleaseAsync(string runId, RunSpec spec);
}
