using AgentSwarm.Abstractions;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>How agents use their neighbours in guess-2/3.</summary>
public enum GuessMessaging
{
    /// <summary>No messages: agents know only the previous target (the AgentScope game).</summary>
    None,

    /// <summary>Every agent tells each neighbour its guess each round; adaptive agents weigh what they hear.</summary>
    Neighbours,
}

/// <summary>The rules of guess-2/3 of the average and its heuristic population.</summary>
/// <param name="Max">Guesses are valid in [0, Max]. Default 100.</param>
/// <param name="Ratio">Target = Offset + Ratio x mean of valid guesses. Default 2/3.</param>
/// <param name="RatioText">The ratio as written in the scenario file ("2/3"), for reports.</param>
/// <param name="Offset">The c of the "c + ratio x average" variant. Default 0.</param>
/// <param name="HistogramBins">Bins of the per-round histogram over [0, Max]. Default 10.</param>
/// <param name="LevelWeights">Share of level-0, level-1, ... reasoners (normalised). Default 0.2, 0.4, 0.3, 0.1.</param>
/// <param name="Noise">Standard deviation of the Gaussian noise added to heuristic guesses. Default 5.</param>
/// <param name="AdaptiveShare">Share of adaptive agents, who move toward the last target. Default 0.3.</param>
/// <param name="AdaptRate">How far an adaptive agent moves from its last guess toward the target (0..1). Default 0.5.</param>
/// <param name="InvalidShare">Share of answers that are malformed (unparseable or out of range) and dropped. Default 0.</param>
/// <param name="Memory">Rounds an agent remembers. Default 5.</param>
/// <param name="Messaging">Whether agents tell their neighbours their guesses. Default none.</param>
/// <param name="SocialWeight">With messaging, the weight adaptive agents give the target their neighbours' guesses imply. Default 0.5.</param>
/// <param name="Llm">Prompts and personas for the llm policy (defaults when the file has none).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.guess-two-thirds-config")]
public sealed record GuessTwoThirdsConfig(
    double Max,
    double Ratio,
    string RatioText,
    double Offset,
    int HistogramBins,
    double[] LevelWeights,
    double Noise,
    double AdaptiveShare,
    double AdaptRate,
    double InvalidShare,
    int Memory,
    GuessMessaging Messaging,
    double SocialWeight,
    GuessLlmConfig? Llm = null) : ScenarioConfig
{
    /// <summary>The largest max accepted: keeps exact integer statistics within 128 bits at 100M agents.</summary>
    public const double MaxLimit = 10_000;

    public static GuessTwoThirdsConfig Default { get; } = new(
        Max: 100,
        Ratio: 2.0 / 3.0,
        RatioText: "2/3",
        Offset: 0,
        HistogramBins: 10,
        LevelWeights: [0.2, 0.4, 0.3, 0.1],
        Noise: 5,
        AdaptiveShare: 0.3,
        AdaptRate: 0.5,
        InvalidShare: 0,
        Memory: 5,
        Messaging: GuessMessaging.None,
        SocialWeight: 0.5);

    /// <summary>The LLM protocol in force: the file's, else the defaults.</summary>
    public GuessLlmConfig LlmOrDefault => Llm ?? GuessLlmConfig.Default;

    /// <summary>The target for a given mean: Offset + Ratio x mean.</summary>
    public double TargetFor(double mean) => Offset + Ratio * mean;

    /// <summary>Checks the rules; returns a message naming the field at fault, or null.</summary>
    public string? Validate()
    {
        if (!(Max > 0 && Max <= MaxLimit))
        {
            return $"game.max: must be in (0, {MaxLimit}] (got {Max})";
        }

        if (!(Ratio > 0 && Ratio <= 1))
        {
            return $"game.ratio: must be in (0, 1] (got {RatioText})";
        }

        if (!(Offset >= 0 && Offset < Max))
        {
            return $"game.offset: must be in [0, max) (got {Offset})";
        }

        if (HistogramBins is < 1 or > 10_000)
        {
            return $"game.histogram-bins: must be in 1..10000 (got {HistogramBins})";
        }

        if (LevelWeights.Length is 0 or > 32 || LevelWeights.Any(w => !(w >= 0)) || !(LevelWeights.Sum() > 0))
        {
            return "population.levels: must list 1 to 32 non-negative weights with a positive sum";
        }

        if (!(Noise >= 0))
        {
            return $"population.noise: must be >= 0 (got {Noise})";
        }

        foreach (var (name, value) in new[] { ("adaptive", AdaptiveShare), ("adapt-rate", AdaptRate), ("invalid", InvalidShare) })
        {
            if (!(value >= 0 && value <= 1))
            {
                return $"population.{name}: must be in [0, 1] (got {value})";
            }
        }

        if (Memory is < 1 or > 1000)
        {
            return $"population.memory: must be in 1..1000 rounds (got {Memory})";
        }

        if (!(SocialWeight >= 0 && SocialWeight <= 1))
        {
            return $"messaging.social-weight: must be in [0, 1] (got {SocialWeight})";
        }

        return null;
    }
}

/// <summary>What every agent is told at the start of a round after the first.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.guess-broadcast")]
public sealed record GuessBroadcast(double PreviousTarget) : ScenarioBroadcast;

/// <summary>
/// One partition's valid guesses, as sorted fixed-point ticks, plus how many it dropped, and their exact sums and
/// histogram (so the controller adds partials up instead of walking every guess again).
/// </summary>
[GenerateSerializer, Immutable, Alias("agentswarm.guess-partial")]
public sealed record GuessPartial(long[] SortedTicks, int Invalid, Int128 Sum, Int128 SumSquares, long[] Histogram) : RoundPartial;

/// <summary>A round of guess-2/3: AgentScope's win, cnt, avg, med, std, max, min, plus the histogram.</summary>
/// <param name="Target">The winning number: Offset + Ratio x Mean (NaN when no guess was valid).</param>
/// <param name="Count">Valid guesses.</param>
/// <param name="Invalid">Guesses dropped as unparseable or out of range.</param>
/// <param name="Std">Population standard deviation of valid guesses.</param>
/// <param name="WinningGuess">The valid guess closest to the target.</param>
/// <param name="Winners">Agents whose guess is that close.</param>
/// <param name="Histogram">Valid guesses per bin over [0, Max]; the last bin includes Max.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.guess-round-stats")]
public sealed record GuessRoundStats(
    double Target,
    long Count,
    long Invalid,
    double Mean,
    double Median,
    double Std,
    double Min,
    double Max,
    double WinningGuess,
    long Winners,
    long[] Histogram) : RoundStats
{
    public override IReadOnlyList<KeyValuePair<string, double>> Columns() =>
    [
        new("target", Target),
        new("count", Count),
        new("invalid", Invalid),
        new("mean", Mean),
        new("median", Median),
        new("std", Std),
        new("min", Min),
        new("max", Max),
        new("winners", Winners),
    ];
}
