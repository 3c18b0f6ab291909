using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine.Logging;

/// <summary>
/// Writes a run's event log, and serves the recorded LLM responses a replay or resume stands in for the backend.
/// The engine calls it only for runs whose <see cref="RunSpec.Log"/> is set. Writes of round r are on disk before
/// the controller records round r as complete, so a log's last complete round is always whole.
/// </summary>
public interface IRunRecorder
{
    /// <summary>The controller: the run's header (spec, seed, partitions), unless the log already has it (a resume).</summary>
    ValueTask StartedAsync(string runId, RunSpec spec);

    /// <summary>A partition's round: its agents' actions (first agent <paramref name="first"/>), what each sent, and their hash.</summary>
    ValueTask PartitionRoundAsync(string runId, RunSpec spec, int partition, int round, int first, AgentAction[] actions, OutgoingMessage[]?[] sent, ulong hash);

    /// <summary>A partition's agents' memories after a round (every <see cref="RunLogSpec.SnapshotEvery"/> rounds).</summary>
    ValueTask SnapshotsAsync(string runId, RunSpec spec, int partition, int round, AgentSnapshot[] snapshots);

    /// <summary>The controller: a round is complete (its statistics and state hash).</summary>
    ValueTask RoundEndedAsync(string runId, RunSpec spec, RoundResult result);

    /// <summary>A partition, when the run has ended: closes its stream on this silo; the silo's LLM stream goes with its last partition (unless the controller's manifest is here, which <see cref="EndedAsync"/> closes).</summary>
    ValueTask PartitionEndedAsync(string runId, int partition);

    /// <summary>The controller: how the run ended. Closes the run's writers on this silo.</summary>
    ValueTask EndedAsync(string runId, RunSpec spec, SimulationState state, int roundsCompleted, string? error);

    /// <summary>One LLM call of an agent's turn (<paramref name="sequence"/>: its place among the turn's calls).</summary>
    void LlmCall(string runId, RunLogSpec log, int agent, int round, int sequence, LlmRequest request, LlmResponse response);

    /// <summary>The recorded response of that call in <see cref="RunLogSpec.ReplayFrom"/>; throws if the log lacks it.</summary>
    LlmResponse Recorded(string runId, RunLogSpec log, int agent, int round, int sequence);

    /// <summary>The recorded response of that call, if <see cref="RunLogSpec.ReplayFrom"/> has it (a round a lost silo interrupted).</summary>
    bool TryRecorded(string runId, RunLogSpec log, int agent, int round, int sequence, out LlmResponse response);

    /// <summary>
    /// After a lost silo: closes this silo's writer of one stream of the run (<paramref name="partition"/>, or the
    /// manifest for -1), flushes its LLM records, and cuts the stream back to the records of rounds up to
    /// <paramref name="afterRound"/> (a frame torn by a crash goes too), so the rounds that run again append cleanly.
    /// </summary>
    ValueTask RollBackAsync(string runId, RunSpec spec, int partition, int afterRound);
}
