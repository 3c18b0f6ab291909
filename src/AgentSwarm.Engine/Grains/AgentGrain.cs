using Orleans.Placement;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Engine.Grains;

/// <summary>
/// One agent: its mind (profile and bounded memory, owned by the scenario) and its edges. One call per round,
/// carrying its inbox; it answers with its action and the messages it sends.
/// </summary>
[PreferLocalPlacement]
[CollectionAgeLimit(Hours = 4)]
[Orleans.Dashboard.NoProfiling] // A million agents a round: profiling each call made a grain-hosted run 45% slower with the dashboard open.
internal sealed class AgentGrain(ScenarioCatalog scenarios, PolicyCatalog policies) : Grain, IAgentGrain
{
    private IAgentMind? _mind;
    private int[] _neighbours = [];
    private int _index = -1;
    private int _lastRound;
    private IPartitionGrain? _partition;

    public Task InitializeAsync(RoundContext context, int[] neighbours)
    {
        _index = checked((int)this.GetPrimaryKeyLong(out _));
        _mind = scenarios.Get(context.Scenario).CreateMind(context, _index);
        _neighbours = neighbours;
        _lastRound = 0;
        return Task.CompletedTask;
    }

    public async Task<AgentStepResult> StepAsync(AgentStep step, CancellationToken cancellationToken)
    {
        var context = step.Context;
        if (_mind is null)
        {
            if (context.Round > 1)
            {
                // Its memory went with a lost silo (or it was collected): coming back empty would silently change the
                // run. The partition restores agents from its checkpoint; reaching here means that did not happen.
                throw new AgentStateLostException(
                    $"agent {this.GetPrimaryKeyLong(out var runId)} of run {runId} was re-activated without its memory in round {context.Round}: restore the run from a checkpoint");
            }

            await InitializeAsync(context, step.Neighbours ?? []);
        }
        else if (step.Neighbours is not null && !ReferenceEquals(step.Neighbours, _neighbours))
        {
            // Only write when it changed: a reference store into a million old objects every round dirties GC cards.
            _neighbours = step.Neighbours;
        }

        var mind = _mind!;

        var turn = new AgentTurn(_index, context, _neighbours, step.Inbox);
        var decision = await policies.Get(context.Policy.Name).DecideAsync(mind, turn, cancellationToken);
        mind.Remember(turn, decision);
        _lastRound = context.Round;
        return new AgentStepResult(decision.Action, decision.Outgoing, decision.Idle, step.Checkpoint || (decision.Idle && step.IdleState) ? MindState.Save(mind) : null);
    }

    public async Task<AgentSnapshot> GetSnapshotAsync()
    {
        var index = _index >= 0 ? _index : checked((int)this.GetPrimaryKeyLong(out _));
        if (_mind is null && await PackedPartitionAsync(index) is { } partition)
        {
            // A packed run's agent lives in its partition: this activation only stands for it.
            return await partition.GetAgentSnapshotAsync(index);
        }

        return AgentSnapshots.Of(index, _neighbours, _lastRound, _mind);
    }

    /// <summary>The partition that holds this agent when its run is packed (null: the run hosts agents as grains, or is unknown).</summary>
    private async Task<IPartitionGrain?> PackedPartitionAsync(int index)
    {
        if (_partition is null)
        {
            this.GetPrimaryKeyLong(out var runId);
            var info = await GrainFactory.GetGrain<ISimulationGrain>(runId!).GetInfoAsync();
            if (info?.Spec is not { Hosting: AgentHosting.Packed } spec || index >= spec.Agents)
            {
                return null;
            }

            _partition = GrainFactory.GetGrain<IPartitionGrain>(spec.PartitionOf(index), runId!);
        }

        return _partition;
    }

    public async Task RestoreAsync(RoundContext context, int[] neighbours, byte[]? state, int lastRound)
    {
        await InitializeAsync(context, neighbours);
        if (state is not null)
        {
            MindState.Restore(_mind!, state);
        }

        _lastRound = lastRound;
    }

    public Task ReleaseAsync()
    {
        _mind = null;
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

/// <summary>A mind's checkpoint bytes: what <see cref="IAgentMind.Save"/> writes.</summary>
internal static class MindState
{
    public static byte[] Save(IAgentMind mind)
    {
        using var buffer = new MemoryStream(64);
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            mind.Save(writer);
        }

        return buffer.ToArray();
    }

    public static void Restore(IAgentMind mind, byte[] state) => Restore(mind, state, 0, state.Length);

    public static void Restore(IAgentMind mind, byte[] buffer, int offset, int count)
    {
        using var reader = new BinaryReader(new MemoryStream(buffer, offset, count, writable: false), System.Text.Encoding.UTF8);
        mind.Restore(reader);
    }
}

/// <summary>What inspection sees of an agent, wherever it is hosted.</summary>
internal static class AgentSnapshots
{
    public static AgentSnapshot Of(int index, int[] neighbours, int lastRound, IAgentMind? mind) =>
        new(index, neighbours, lastRound, mind?.DescribeMemory() ?? [], mind?.Transcript(), mind?.Counters());
}
