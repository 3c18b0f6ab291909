using MessagePack;

namespace AgentSwarm.Replay;

/// <summary>
/// One record of the event log. Records are MessagePack arrays tagged by kind (a union); fields are by position, so
/// a later format may append fields and older readers skip what they do not know.
/// </summary>
[Union(0, typeof(RunHeaderRecord))]
[Union(1, typeof(RoundEndRecord))]
[Union(2, typeof(PartitionRoundRecord))]
[Union(3, typeof(LlmCallRecord))]
[Union(4, typeof(TextRecord))]
[Union(5, typeof(SnapshotRecord))]
[Union(6, typeof(RunEndRecord))]
[Union(7, typeof(StreamOwnerRecord))]
public abstract class LogRecord
{
    /// <summary>The round the record belongs to (0 for the header and the prompt table).</summary>
    [IgnoreMember]
    public abstract int RecordRound { get; }
}

/// <summary>The manifest's first record: what the run is a function of.</summary>
[MessagePackObject]
public sealed class RunHeaderRecord : LogRecord
{
    [Key(0)] public int FormatVersion { get; set; }
    [Key(1)] public string RunId { get; set; } = string.Empty;
    [Key(2)] public string Scenario { get; set; } = string.Empty;
    [Key(3)] public int Agents { get; set; }
    [Key(4)] public int Rounds { get; set; }
    [Key(5)] public ulong Seed { get; set; }
    [Key(6)] public int Partitions { get; set; }
    [Key(7)] public string Policy { get; set; } = string.Empty;
    [Key(8)] public string[] Endpoints { get; set; } = [];
    [Key(9)] public DateTime CreatedUtc { get; set; }

    /// <summary>The run's whole RunSpec (scenario config included), in Orleans' version-tolerant binary form.</summary>
    [Key(10)] public byte[] Spec { get; set; } = [];

    /// <summary>First agent index of every partition, plus the agent count last.</summary>
    [Key(11)] public int[] Bounds { get; set; } = [];

    /// <summary>Agents' memories are in the partition streams every this many rounds (0: none).</summary>
    [Key(12)] public int SnapshotEvery { get; set; }

    [IgnoreMember]
    public override int RecordRound => 0;
}

/// <summary>The manifest: a round is complete, with its statistics' columns and its state hash.</summary>
[MessagePackObject]
public sealed class RoundEndRecord : LogRecord
{
    [Key(0)] public int Round { get; set; }
    [Key(1)] public long ElapsedTicks { get; set; }
    [Key(2)] public long AgentSteps { get; set; }
    [Key(3)] public long Messages { get; set; }
    [Key(4)] public long DroppedMessages { get; set; }
    [Key(5)] public ulong StateHash { get; set; }
    [Key(6)] public string[] Columns { get; set; } = [];
    [Key(7)] public double[] Values { get; set; } = [];

    [IgnoreMember]
    public override int RecordRound => Round;
}

/// <summary>A partition's round: every agent's action and, agent by agent, the messages it sent.</summary>
[MessagePackObject]
public sealed class PartitionRoundRecord : LogRecord
{
    [Key(0)] public int Round { get; set; }
    [Key(1)] public int Partition { get; set; }
    [Key(2)] public int First { get; set; }
    [Key(3)] public double[] Numbers { get; set; } = [];

    /// <summary>Action texts by agent, or null when no agent of the partition gave one this round.</summary>
    [Key(4)] public string?[]? Texts { get; set; }

    /// <summary>Messages sent by agent: agent i sent messages SentOffsets[i] .. SentOffsets[i + 1] - 1.</summary>
    [Key(5)] public int[] SentOffsets { get; set; } = [];
    [Key(6)] public int[] SentTo { get; set; } = [];
    [Key(7)] public string[] SentText { get; set; } = [];
    [Key(8)] public ulong StateHash { get; set; }

    [IgnoreMember]
    public override int RecordRound => Round;
}

/// <summary>One LLM call of an agent's turn. The prompt's texts are ids into the stream's prompt table (<see cref="TextRecord"/>).</summary>
[MessagePackObject]
public sealed class LlmCallRecord : LogRecord
{
    [Key(0)] public int Round { get; set; }
    [Key(1)] public int Agent { get; set; }
    [Key(2)] public int Sequence { get; set; }
    [Key(3)] public byte[] Roles { get; set; } = [];
    [Key(4)] public ulong[] Prompt { get; set; } = [];
    [Key(5)] public double Temperature { get; set; }
    [Key(6)] public int Outcome { get; set; }
    [Key(7)] public string? Response { get; set; }
    [Key(8)] public string? Error { get; set; }
    [Key(9)] public string? Endpoint { get; set; }
    [Key(10)] public int PromptTokens { get; set; }
    [Key(11)] public int OutputTokens { get; set; }
    [Key(12)] public double LatencyMs { get; set; }
    [Key(13)] public int Retries { get; set; }
    [Key(14)] public bool Cached { get; set; }

    [IgnoreMember]
    public override int RecordRound => Round;
}

/// <summary>The shared prompt table: a text, by id, written once per stream before the first call that uses it.</summary>
[MessagePackObject]
public sealed class TextRecord : LogRecord
{
    [Key(0)] public ulong Id { get; set; }
    [Key(1)] public string Text { get; set; } = string.Empty;

    [IgnoreMember]
    public override int RecordRound => 0;
}

/// <summary>An agent's memory after a round, as its mind describes it (and an LLM agent's counters).</summary>
[MessagePackObject]
public sealed class SnapshotRecord : LogRecord
{
    [Key(0)] public int Round { get; set; }
    [Key(1)] public int Agent { get; set; }
    [Key(2)] public string[] Memory { get; set; } = [];
    [Key(3)] public int[] Neighbours { get; set; } = [];

    [IgnoreMember]
    public override int RecordRound => Round;
}

/// <summary>The manifest's last record: how the run ended. A log without one was cut off (or is still being written).</summary>
[MessagePackObject]
public sealed class RunEndRecord : LogRecord
{
    [Key(0)] public string State { get; set; } = string.Empty;
    [Key(1)] public int RoundsCompleted { get; set; }
    [Key(2)] public string? Error { get; set; }

    [IgnoreMember]
    public override int RecordRound => RoundsCompleted;
}

/// <summary>
/// A partition stream's first record: the run whose log it belongs to (the manifest header's run id), so a stream
/// copied in from another run's log is refused instead of read as this run's.
/// </summary>
[MessagePackObject]
public sealed class StreamOwnerRecord : LogRecord
{
    [Key(0)] public string RunId { get; set; } = string.Empty;

    [IgnoreMember]
    public override int RecordRound => 0;
}
