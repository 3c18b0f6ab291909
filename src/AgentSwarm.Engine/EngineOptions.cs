using Microsoft.Extensions.Options;

namespace AgentSwarm.Engine;

/// <summary>Engine-wide settings of a silo (configuration section <c>AgentSwarm:Engine</c>).</summary>
public sealed class EngineOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string Section = "AgentSwarm:Engine";

    /// <summary>The grain storage provider that holds run records and partition checkpoints. Default: "agentswarm".</summary>
    public const string StorageName = "agentswarm";

    /// <summary>Agents per partition when a run leaves partitions at 0 (automatic). Default: 25,000.</summary>
    public int AgentsPerPartition { get; set; } = 25_000;

    /// <summary>Upper bound on automatic partitions. Default: 64.</summary>
    public int MaxAutomaticPartitions { get; set; } = 64;

    /// <summary>Lower bound on automatic partitions, so small runs still step in parallel. Default: 2.</summary>
    public int MinAutomaticPartitions { get; set; } = 2;

    /// <summary>
    /// Partitions save their agents' minds to grain storage every this many rounds, so a run that loses a silo goes
    /// back at most this far. Default: 0 (never; a lost silo sends the run back to its start), which suits one
    /// process; <c>agentswarm silo</c> sets 1.
    /// </summary>
    public int CheckpointEvery { get; set; }

    /// <summary>Where runs whose log folder is relative write it (a folder every silo shares). Default: runs/ under the working folder.</summary>
    public string LogRoot { get; set; } = "runs";

    /// <summary>How often each silo's watchdog wakes the controllers of unfinished runs, so a lost controller comes back. Default: 2 s.</summary>
    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a finished run's agents stay for clients to read (snapshots, transcripts) before they deactivate. Default: 5 min.</summary>
    public TimeSpan ReleaseAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Silo losses one run may recover from before it fails. Default: 10.</summary>
    public int MaxRecoveries { get; set; } = 10;

    public int PartitionsFor(int agents)
    {
        var wanted = (int)Math.Ceiling(agents / (double)Math.Max(1, AgentsPerPartition));
        return Math.Clamp(wanted, Math.Max(1, MinAutomaticPartitions), Math.Max(1, MaxAutomaticPartitions));
    }
}

/// <summary>Checks the engine's settings at start: a bad bound stops the silo with a message naming the setting.</summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var problems = new List<string>();
        Positive(options.AgentsPerPartition, nameof(options.AgentsPerPartition));
        Positive(options.MaxAutomaticPartitions, nameof(options.MaxAutomaticPartitions));
        Positive(options.MinAutomaticPartitions, nameof(options.MinAutomaticPartitions));
        Positive(options.MaxRecoveries, nameof(options.MaxRecoveries));
        if (options.MinAutomaticPartitions > options.MaxAutomaticPartitions)
        {
            problems.Add($"{EngineOptions.Section}:{nameof(options.MinAutomaticPartitions)} ({options.MinAutomaticPartitions}) must not exceed {nameof(options.MaxAutomaticPartitions)} ({options.MaxAutomaticPartitions})");
        }

        if (options.CheckpointEvery < 0)
        {
            problems.Add($"{EngineOptions.Section}:{nameof(options.CheckpointEvery)} must be 0 (never) or a number of rounds (got {options.CheckpointEvery})");
        }

        if (options.WatchdogInterval <= TimeSpan.Zero)
        {
            problems.Add($"{EngineOptions.Section}:{nameof(options.WatchdogInterval)} must be positive (got {options.WatchdogInterval})");
        }

        if (options.ReleaseAfter < TimeSpan.Zero)
        {
            problems.Add($"{EngineOptions.Section}:{nameof(options.ReleaseAfter)} must not be negative (got {options.ReleaseAfter})");
        }

        if (string.IsNullOrWhiteSpace(options.LogRoot))
        {
            problems.Add($"{EngineOptions.Section}:{nameof(options.LogRoot)} must name a folder");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);

        void Positive(int value, string setting)
        {
            if (value <= 0)
            {
                problems.Add($"{EngineOptions.Section}:{setting} must be positive (got {value})");
            }
        }
    }
}
