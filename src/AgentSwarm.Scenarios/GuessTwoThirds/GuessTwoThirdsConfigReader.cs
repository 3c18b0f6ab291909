using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>Reads the game:, population: and messaging: sections of a guess-two-thirds scenario file.</summary>
public static class GuessTwoThirdsConfigReader
{
    public static string[] Sections { get; } = ["game", "population", "messaging", "prompts", "personas"];

    private static readonly Dictionary<string, GuessAnswerMode> Modes = new()
    {
        ["directly"] = GuessAnswerMode.Directly,
        ["step-by-step"] = GuessAnswerMode.StepByStep,
    };

    private static readonly Dictionary<string, GuessStance> Stances = new()
    {
        ["none"] = GuessStance.None,
        ["rational"] = GuessStance.Rational,
        ["strategic"] = GuessStance.Strategic,
    };

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
            SocialWeight: messaging?.Double("social-weight", d.SocialWeight) ?? d.SocialWeight,
            Llm: ReadLlm(root.Section("prompts"), root.Section("personas")));

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

    private static GuessLlmConfig? ReadLlm(YamlSection? prompts, YamlSection? personas)
    {
        if (prompts is null && personas is null)
        {
            return null;
        }

        var d = GuessLlmConfig.Default;
        prompts?.RejectUnknown(GuessLlmConfig.Placeholders.Keys.Concat(["mode", "stance"]));
        string Template(string key, string fallback) => PromptTemplate.Read(prompts, key, fallback, GuessLlmConfig.Placeholders[key]);

        return new GuessLlmConfig(
            prompts?.Choice("mode", d.Mode, Modes) ?? d.Mode,
            prompts?.Choice("stance", d.Stance, Stances) ?? d.Stance,
            Template("system", d.System),
            Template("rational", d.Rational),
            Template("strategic", d.Strategic),
            Template("directly", d.Directly),
            Template("step-by-step", d.StepByStep),
            Template("feedback", d.Feedback),
            Template("extract", d.Extract),
            personas is null ? null : ReadPersonas(personas));
    }

    /// <summary>personas: template plus attributes, each a mapping of value to weight or a list of equally likely values.</summary>
    private static GuessPersonas ReadPersonas(YamlSection section)
    {
        section.RejectUnknown(["template", "attributes"]);
        var attributes = section.Section("attributes") ?? throw section.Error("attributes", "missing: list the attributes personas are drawn from (education, occupation, age, gender, ...)");
        var names = new List<string>();
        var values = new List<string[]>();
        var weights = new List<double[]>();
        foreach (var (keyNode, valueNode) in attributes.Node.Children)
        {
            var name = ((YamlDotNet.RepresentationModel.YamlScalarNode)keyNode).Value!;
            names.Add(name);
            switch (valueNode)
            {
                case YamlDotNet.RepresentationModel.YamlSequenceNode:
                    var list = attributes.Strings(name, []);
                    values.Add(list);
                    weights.Add([.. list.Select(_ => 1.0)]);
                    break;
                case YamlDotNet.RepresentationModel.YamlMappingNode:
                    var distribution = attributes.Section(name)!;
                    var keys = distribution.Node.Children.Keys.Select(k => ((YamlDotNet.RepresentationModel.YamlScalarNode)k).Value!).ToArray();
                    values.Add(keys);
                    weights.Add([.. keys.Select(k => distribution.Double(k, 0))]);
                    if (weights[^1].Any(w => !(w >= 0)) || !(weights[^1].Sum() > 0))
                    {
                        throw attributes.Error(name, "weights must be non-negative with a positive sum");
                    }

                    break;
                default:
                    throw attributes.Error(name, "expected a list of values or a mapping of value: weight");
            }

            if (values[^1].Length is 0 or > 255)
            {
                throw attributes.Error(name, $"must have 1 to 255 values (got {values[^1].Length})");
            }
        }

        if (names.Count == 0)
        {
            throw section.Error("attributes", "must list at least one attribute");
        }

        var template = section.String("template") ?? string.Join(" ", ["You are a person with these traits:", .. names.Select(n => $"{n}: {{{n}}};")]);
        var unknown = PromptTemplate.UnknownPlaceholders(template, names).FirstOrDefault();
        if (unknown is not null)
        {
            throw section.Error("template", $"unknown placeholder {{{unknown}}} (attributes are: {string.Join(", ", names)})");
        }

        return new GuessPersonas(template, [.. names], [.. values], [.. weights]);
    }
}
