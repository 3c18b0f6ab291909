namespace AgentSwarm.Engine;

/// <summary>Engine-wide settings of a silo.</summary>
public sealed class EngineOptions
{
    /// <summary>Agents per partition when a run leaves partitions at 0 (automatic). Default: 25,000.</summary>
    public int AgentsPerPartition { get; set; } = 25_000;

    /// <summary>Upper bound on automatic partitions. Default: 64.</summary>
    public int MaxAutomaticPartitions { get; set; } = 64;

    /// <summary>Lower bound on automatic partitions, so small runs still step in parallel. Default: 2.</summary>
    public int MinAutomaticPartitions { get; set; } = 2;

    public int PartitionsFor(int agents)
    {
        var wanted = (int)Math.Ceiling(agents / (double)Math.Max(1, AgentsPerPartition));
        return Math.Clamp(wanted, Math.Max(1, MinAutomaticPartitions), Math.Max(1, MaxAutomaticPartitions));
    }
}
