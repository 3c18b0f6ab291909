using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>Reads the game:, population: and messaging: sections of a guess-two-thirds scenario file.</summary>
public static class GuessTwoThirdsConfigReader
{
    public static string[] Sections { get; } = ["game", "population", "messaging"];

    private static readonly Dictionary<string, GuessMessaging> MessagingNames = new()
    {
        ["none"] = GuessMessaging.None,
        ["neighbours"] = GuessMessaging.Neighbours,
        ["neighbors"] = GuessMessaging.Neighbours,
    };

    public static GuessTwoThirdsConfig Read(YamlSection root)
    {
        var d = GuessTwoThirdsConfig.Default;
        var game = root.Section("game");
        var population = root.Section("population");
        var messaging = root.Section("messaging");
        game?.RejectUnknown(["max", "ratio", "offset", "histogram-bins"]);
        population?.RejectUnknown(["levels", "noise", "adaptive", "adapt-rate", "invalid", "memory"]);
        messaging?.RejectUnknown(["mode", "social-weight"]);

        var (ratio, ratioText) = game?.Fraction("ratio", d.Ratio, d.RatioText) ?? (d.Ratio, d.RatioText);
        var config = new GuessTwoThirdsConfig(
            Max: game?.Double("max", d.Max) ?? d.Max,
            Ratio: ratio,
            RatioText: ratioText,
            Offset: game?.Double("offset", d.Offset) ?? d.Offset,
            HistogramBins: game?.Int("histogram-bins", d.HistogramBins) ?? d.HistogramBins,
            LevelWeights: population?.Doubles("levels", d.LevelWeights) ?? d.LevelWeights,
            Noise: population?.Double("noise", d.Noise) ?? d.Noise,
            AdaptiveShare: population?.Double("adaptive", d.AdaptiveShare) ?? d.AdaptiveShare,
            AdaptRate: population?.Double("adapt-rate", d.AdaptRate) ?? d.AdaptRate,
            InvalidShare: population?.Double("invalid", d.InvalidShare) ?? d.InvalidShare,
            Memory: population?.Int("memory", d.Memory) ?? d.Memory,
            Messaging: messaging?.Choice("mode", d.Messaging, MessagingNames) ?? d.Messaging,
            SocialWeight: messaging?.Double("social-weight", d.SocialWeight) ?? d.SocialWeight);

        if (config.Validate() is { } problem)
        {
            // Validate names the field as "section.key: ..."; point at that field's line.
            var colon = problem.IndexOf(": ", StringComparison.Ordinal);
            var field = problem[..colon];
            var dot = field.IndexOf('.');
            var section = root.Section(field[..dot]);
            var key = field[(dot + 1)..];
            throw section is not null ? section.Error(key, problem[(colon + 2)..]) : root.Error(field[..dot], problem[(colon + 2)..]);
        }

        return config;
    }
}
