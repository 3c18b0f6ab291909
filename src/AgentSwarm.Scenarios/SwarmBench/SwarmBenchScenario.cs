using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// SwarmBench (arXiv 2505.04364) on the round engine. The world is state every agent shares, so it is not kept in
/// agents or partitions: the controller holds it. Each round it goes out, by reference within a silo and once per
/// partition across silos, in the round's broadcast; every agent reads its own window and the messages it hears
/// from it and decides; each partition reduces its agents' actions and messages into two arrays; the controller
/// merges them in agent order and resolves every move of the round at once (<see cref="SwarmRules.Step"/>), so one
/// round costs one call per partition, and the result cannot depend on partitions, silos or timing.
/// </summary>
public sealed class SwarmBenchScenario : IScenario
{
    public const string ScenarioName = "swarmbench";

    public string Name => ScenarioName;

    public string? Validate(RunSpec spec)
    {
        if (spec.Config is not SwarmBenchConfig config)
        {
            return "swarmbench needs a SwarmBenchConfig";
        }

        if (config.Memory < 1)
        {
            return $"swarmbench: memory must be at least 1 (got {config.Memory})";
        }

        if ((long)config.Height * config.Width > 100_000_000)
        {
            return $"swarmbench: a {config.Height} x {config.Width} grid is over 100 million cells";
        }

        return SwarmRules.Check(config.Task, config.Height, config.Width, spec.Agents, config.View, spec.Seed);
    }

    public IAgentMind CreateMind(RoundContext context, int index) => new SwarmMind((SwarmBenchConfig)context.Config, index);

    public ScenarioBroadcast? FirstBroadcast(RoundContext context)
    {
        var config = (SwarmBenchConfig)context.Config;
        var world = SwarmRules.Create(config.Task, config.Height, config.Width, config.View, context.Agents, context.Rounds, context.Seed);
        return new SwarmBroadcast(world, new string?[context.Agents]);
    }

    public RoundPartial Reduce(RoundContext context, int firstAgent, ReadOnlySpan<AgentAction> actions)
    {
        var moves = new byte[actions.Length];
        var messages = new string?[actions.Length];
        for (var i = 0; i < actions.Length; i++)
        {
            var number = actions[i].Number;
            moves[i] = number is >= 0 and <= (double)SwarmMove.Switch ? (byte)number : (byte)SwarmMove.Stay;
            messages[i] = SwarmView.Clip(actions[i].Text);
        }

        return new SwarmPartial(moves, messages);
    }

    public RoundStats Merge(RoundContext context, IReadOnlyList<RoundPartial> partials)
    {
        var before = (context.Broadcast as SwarmBroadcast ?? throw new InvalidOperationException($"swarmbench: round {context.Round} carries no world")).World;
        var n = before.Agents;
        var actions = new SwarmMove[n];
        var messages = new string?[n];
        var at = 0;
        foreach (var partial in partials.Cast<SwarmPartial>())
        {
            for (var i = 0; i < partial.Actions.Length; i++, at++)
            {
                // An agent that has left the map does nothing, whatever it returned.
                actions[at] = before.Escaped[at] ? SwarmMove.Stay : (SwarmMove)partial.Actions[i];
                messages[at] = before.Escaped[at] ? null : partial.Messages[i];
            }
        }

        if (at != n)
        {
            throw new InvalidOperationException($"swarmbench: {at} actions for {n} agents");
        }

        var after = SwarmRules.Step(before, actions);
        // The reference logs an agent that has left the map as STAY, and its metrics count it so.
        var acted = new bool[n];
        Array.Fill(acted, true);
        var metrics = SwarmMetrics.Compute(actions, messages, acted, after.Explored);
        return new SwarmRoundStats(
            before.Task.Name(), after.Score, after.Events, metrics, [.. actions.Select(a => (byte)a)], messages, after);
    }

    public ScenarioBroadcast? NextBroadcast(RoundContext context, RoundStats stats)
    {
        var round = (SwarmRoundStats)stats;
        return new SwarmBroadcast(round.World, round.Messages);
    }

    public bool IsFinished(RoundContext context, RoundStats stats) => SwarmRules.IsDone(((SwarmRoundStats)stats).World);
}
