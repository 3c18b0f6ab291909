using System.Globalization;

namespace AgentSwarm.Abstractions;

/// <summary>A message an agent read this round: sent by <see cref="From"/> in the previous round.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.inbox-message")]
public readonly record struct InboxMessage
{
    /// <param name="from">The sender.</param>
    /// <param name="text">The text; null for a message that is its number (see <see cref="OutgoingMessage.OfNumber"/>).</param>
    /// <param name="number">The number the sender gave with the text (see <see cref="OutgoingMessage.Number"/>), or NaN.</param>
    public InboxMessage(int from, string? text, double number = double.NaN)
    {
        From = from;
        WrittenText = text ?? (double.IsNaN(number) ? throw new ArgumentNullException(nameof(text), "a message with no number needs a text") : null);
        Number = number;
    }

    [Id(0)] public int From { get; init; }

    /// <summary>The text as the sender wrote it; null when the message is its number, whose text is made only when read.</summary>
    [Id(1)] public string? WrittenText { get; init; }

    /// <summary>The number the sender gave with the text, or NaN.</summary>
    [Id(2)] public double Number { get; init; }

    /// <summary>The message (for a message that is its number, the number's round-trip form).</summary>
    public string Text => WrittenText ?? OutgoingMessage.Format(Number);

    public bool Equals(InboxMessage other) => From == other.From && Text == other.Text && Number.Equals(other.Number);

    public override int GetHashCode() => HashCode.Combine(From, Text, Number);
}

/// <summary>A message an agent sends to one of its neighbours; it is read in the next round.</summary>
/// <remarks>
/// The text is the message: the log, the state hash and the agent views read it. When the message is a number, the
/// sender gives it beside the text (<see cref="Number"/>), so a reader takes it instead of parsing a message per neighbour
/// per round; a message rebuilt from the log carries NaN, and readers fall back to parsing. A message that is nothing but
/// a number (<see cref="OfNumber"/>) is not formatted at all unless someone reads its text.
/// </remarks>
[GenerateSerializer, Immutable, Alias("agentswarm.outgoing-message")]
public readonly record struct OutgoingMessage
{
    /// <param name="to">The receiver: one of the sender's neighbours.</param>
    /// <param name="text">The message.</param>
    /// <param name="number">When the text is a number, that number (exactly what parsing the text gives); NaN otherwise.</param>
    public OutgoingMessage(int to, string text, double number = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(text);
        To = to;
        WrittenText = text;
        Number = number;
    }

    private OutgoingMessage(int to, double number)
    {
        To = to;
        Number = number;
    }

    [Id(0)] public int To { get; init; }

    /// <summary>The text as the sender wrote it; null when the message is its number (<see cref="OfNumber"/>).</summary>
    [Id(1)] public string? WrittenText { get; init; }

    /// <summary>When the text is a number, that number; NaN otherwise.</summary>
    [Id(2)] public double Number { get; init; }

    /// <summary>The message (for a message that is its number, the number's round-trip form).</summary>
    public string Text => WrittenText ?? Format(Number);

    /// <summary>A message that is a number: its text is <see cref="Format"/> of it, made only when someone reads it.</summary>
    public static OutgoingMessage OfNumber(int to, double number) =>
        double.IsNaN(number) ? throw new ArgumentOutOfRangeException(nameof(number), "a message that is a number needs a number") : new(to, number);

    /// <summary>A number as message text: its shortest round-trip form, invariant culture ("R").</summary>
    public static string Format(double number) => number.ToString("R", CultureInfo.InvariantCulture);

    public bool Equals(OutgoingMessage other) => To == other.To && Text == other.Text && Number.Equals(other.Number);

    public override int GetHashCode() => HashCode.Combine(To, Text, Number);
}

/// <summary>What an agent did in a round. <see cref="Number"/> is NaN when the agent gave no usable number.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.agent-action")]
public readonly record struct AgentAction(double Number, string? Text = null);

/// <summary>Messages from one partition to another, in one batch per destination per round.</summary>
/// <remarks>
/// The columns are views of the sending partition's buffers, which it reuses in its next step: a receiver copies what it
/// keeps before its delivery call returns. Between silos only the views' messages travel.
/// </remarks>
/// <param name="From">Sender agent index of each message.</param>
/// <param name="To">Receiver agent index of each message.</param>
/// <param name="Text">Text of each message as its sender wrote it (<see cref="OutgoingMessage.WrittenText"/>): null for a message that is its number.</param>
/// <param name="Numbers">Each message's number (<see cref="OutgoingMessage.Number"/>), NaN where it has none.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.message-batch")]
public sealed record MessageBatch(ArraySegment<int> From, ArraySegment<int> To, ArraySegment<string?> Text, ArraySegment<double> Numbers)
{
    public int Count => From.Count;
}

/// <summary>What the controller tells every agent at the start of a round (the previous target, say).</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.scenario-broadcast")]
public abstract record ScenarioBroadcast;

/// <summary>Shared by all agents of a round: travels by reference inside a silo.</summary>
/// <param name="Agents">Agents in the run (what LLM agents are told about their population).</param>
/// <param name="Rounds">Rounds the run is set to last.</param>
/// <param name="Log">The run's event log settings (null: no log): the llm policy records calls, or replays them, by it.</param>
/// <param name="Epoch">Bumped each time the run recovers from a lost silo; mail of an older epoch is dropped.</param>
/// <param name="TraceParent">The round's span (W3C traceparent), so partition steps join the run's trace without a span per grain call; null when not traced.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.round-context")]
public sealed record RoundContext(
    string RunId,
    int Round,
    ulong Seed,
    string Scenario,
    ScenarioConfig Config,
    PolicySpec Policy,
    ScenarioBroadcast? Broadcast,
    int Agents = 0,
    int Rounds = 0,
    RunLogSpec? Log = null,
    int Epoch = 0,
    string? TraceParent = null);

/// <summary>One agent's turn: the round's context plus its own inbox (and its edges the first time).</summary>
/// <param name="Checkpoint">Return the mind's saved state with the result (the partition checkpoints this round).</param>
/// <param name="IdleState">Return the saved state if the agent goes idle (it may be skipped in the next checkpoint's round).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.agent-step")]
public sealed record AgentStep(RoundContext Context, InboxMessage[] Inbox, int[]? Neighbours, bool Checkpoint = false, bool IdleState = false);

/// <summary>What an agent returns from its turn: its action and its messages for the next round.</summary>
/// <param name="Idle">The agent has nothing to do until mail arrives: its partition may skip it (keeping this action)
/// in rounds where its inbox is empty, except the run's last round.</param>
/// <param name="State">The mind's saved state after this turn, when the step asked for a checkpoint.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.agent-step-result")]
public sealed record AgentStepResult(AgentAction Action, OutgoingMessage[]? Outgoing, bool Idle = false, byte[]? State = null);

/// <summary>A partition's reduction of its agents' actions, merged by the controller in partition order.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.round-partial")]
public abstract record RoundPartial;

/// <summary>Per-round statistics of a scenario.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.round-stats")]
public abstract record RoundStats
{
    /// <summary>Named numbers for tables and progress views, in display order.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, double>> Columns();
}

/// <summary>One finished round, as the controller recorded it.</summary>
/// <param name="AgentSteps">Agents stepped this round: every agent, less idle agents that had no mail.</param>
/// <param name="Messages">Messages sent this round (read next round).</param>
/// <param name="DroppedMessages">Messages addressed to a non-neighbour, which the engine refused.</param>
/// <param name="StateHash">The round's state hash: the sum over agents of a hash of each one's action and the messages it sent.
/// It does not depend on partitions or timing, so a replay must reproduce it; 0 when the run keeps no log.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.round-result")]
public sealed record RoundResult(
    int Round,
    TimeSpan Elapsed,
    long AgentSteps,
    long Messages,
    long DroppedMessages,
    RoundStats Stats,
    ulong StateHash = 0);
