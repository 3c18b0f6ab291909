using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>Guess 2/3 of the average (AgentScope, arXiv 2407.17789): the agent closest to ratio x mean wins.</summary>
public sealed class GuessTwoThirdsScenario : IScenario
{
    public const string ScenarioName = "guess-two-thirds";

    public string Name => ScenarioName;

    public string? Validate(RunSpec spec) =>
        spec.Config is GuessTwoThirdsConfig config
            ? config.Validate()
            : $"scenario {ScenarioName} needs a {nameof(GuessTwoThirdsConfig)}, got {spec.Config?.GetType().Name ?? "none"}";

    public IAgentMind CreateMind(RoundContext context, int index) =>
        new GuessAgentMind(Config(context), context.Seed, index);

    public RoundPartial Reduce(RoundContext context, int firstAgent, ReadOnlySpan<AgentAction> actions)
    {
        var max = Config(context).Max;
        var valid = 0;
        foreach (var action in actions)
        {
            if (GuessStatistics.IsValid(action.Number, max))
            {
                valid++;
            }
        }

        var ticks = new long[valid];
        var next = 0;
        foreach (var action in actions)
        {
            if (GuessStatistics.IsValid(action.Number, max))
            {
                ticks[next++] = GuessStatistics.ToTicks(action.Number);
            }
        }

        return GuessStatistics.Partial(Config(context), ticks, actions.Length - valid);
    }

    public int? HistogramBin(ScenarioConfig config, AgentAction action) =>
        config is GuessTwoThirdsConfig guess && GuessStatistics.IsValid(action.Number, guess.Max)
            ? GuessStatistics.Bin(guess, GuessStatistics.ToTicks(action.Number))
            : null;

    public RoundStats Merge(RoundContext context, IReadOnlyList<RoundPartial> partials)
    {
        var parts = partials.Cast<GuessPartial>().ToArray();
        return GuessStatistics.Compute(Config(context), parts, parts.Sum(p => (long)p.Invalid));
    }

    public ScenarioBroadcast? NextBroadcast(RoundContext context, RoundStats stats) =>
        stats is GuessRoundStats { Count: > 0 } guess ? new GuessBroadcast(guess.Target) : context.Broadcast;

    private static GuessTwoThirdsConfig Config(RoundContext context) => (GuessTwoThirdsConfig)context.Config;
}
