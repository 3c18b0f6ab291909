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
internal sealed class AgentGrain(ScenarioCatalog scenarios, PolicyCatalog policies) : Grain, IAgentGrain
{
    private IAgentMind? _mind;
    private int[] _neighbours = [];
    private int _index = -1;
    private int _lastRound;

    public Task InitializeAsync(RoundContext context, int[] neighbours)
    {
        _index = checked((int)this.GetPrimaryKeyLong(out _));
        _mind = scenarios.Get(context.Scenario).CreateMind(context, _index);
        _neighbours = neighbours;
        return Task.CompletedTask;
    }

    public async Task<AgentStepResult> StepAsync(AgentStep step, CancellationToken cancellationToken)
    {
        var context = step.Context;
        if (_mind is null)
        {
            // Not set up (or collected and re-activated): the profile is a function of seed and index, so it is rebuilt alike.
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
        return new AgentStepResult(decision.Action, decision.Outgoing, decision.Idle);
    }

    public Task<AgentSnapshot> GetSnapshotAsync() =>
        Task.FromResult(new AgentSnapshot(
            _index >= 0 ? _index : checked((int)this.GetPrimaryKeyLong(out _)),
            _neighbours,
            _lastRound,
            _mind?.DescribeMemory() ?? [],
            _mind?.Transcript(),
            _mind?.Counters()));
}
