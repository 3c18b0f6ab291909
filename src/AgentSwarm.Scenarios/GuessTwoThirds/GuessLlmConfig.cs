using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>How LLM agents are asked for their number: report it directly, or reason step by step first.</summary>
public enum GuessAnswerMode
{
    Directly,
    StepByStep,
}

/// <summary>What the system prompt adds about the other players (AgentScope's variants).</summary>
public enum GuessStance
{
    None,
    Rational,
    Strategic,
}

/// <summary>
/// The LLM protocol of guess-2/3 (AgentScope): a system prompt with the rules (plus a stance and a persona when set),
/// the answer call, then an extraction call that turns the answer into a number. Every text is a template of the
/// scenario file with {placeholders}; see <see cref="Placeholders"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("agentswarm.guess-llm-config")]
public sealed record GuessLlmConfig(
    GuessAnswerMode Mode,
    GuessStance Stance,
    string System,
    string Rational,
    string Strategic,
    string Directly,
    string StepByStep,
    string Feedback,
    string Extract,
    GuessPersonas? Personas)
{
    /// <summary>Placeholders each template may use.</summary>
    public static IReadOnlyDictionary<string, string[]> Placeholders { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["system"] = ["agents", "max", "ratio", "offset", "rule", "rounds", "stance", "persona"],
        ["rational"] = [],
        ["strategic"] = [],
        ["directly"] = ["round", "max"],
        ["step-by-step"] = ["round", "max"],
        ["feedback"] = ["round", "guess", "target"],
        ["extract"] = ["max"],
    };

    public static GuessLlmConfig Default { get; } = new(
        GuessAnswerMode.Directly,
        GuessStance.None,
        System: "You are one of {agents} players in a game that lasts {rounds} rounds. In every round each player picks a real number between 0 and {max}. "
            + "The winner of a round is the player whose number is closest to {rule}. {stance}{persona}",
        Rational: "All players are rational. ",
        Strategic: "Every player tries to guess the strategies of the others. ",
        Directly: "Round {round}. Report your number between 0 and {max} directly, with no explanation.",
        StepByStep: "Round {round}. Think step by step about what the others will pick, then report your number between 0 and {max}.",
        Feedback: "In round {round} you picked {guess}; the winning number was {target}.",
        Extract: "Read the player's answer and reply with only the number it settles on, between 0 and {max}, as digits. Reply None if it gives no number.",
        Personas: null);

    /// <summary>The number an extraction answer settles on: the whole answer must be one number (NaN otherwise).</summary>
    public static double ParseNumber(string? text)
    {
        var trimmed = (text ?? string.Empty).Trim().TrimEnd('.').Trim();
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : double.NaN;
    }
}

/// <summary>
/// Personas drawn per agent from attribute distributions, as in AgentScope's diverse populations:
/// each attribute's value is drawn from its weights with the agent's own random stream.
/// </summary>
/// <param name="Template">The persona text, with one {placeholder} per attribute.</param>
/// <param name="Attributes">Attribute names, in file order.</param>
/// <param name="Values">Each attribute's values.</param>
/// <param name="Weights">Each attribute's value weights (not normalised).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.guess-personas")]
public sealed record GuessPersonas(string Template, string[] Attributes, string[][] Values, double[][] Weights)
{
    /// <summary>Distinct personas this population can hold.</summary>
    public long Distinct => Values.Aggregate(1L, (product, values) => product * values.Length);

    public byte[] Draw(ulong seed, int agent)
    {
        var rng = AgentSwarm.Engine.AgentRandom.For(seed, agent, round: 0, stream: 7);
        var picks = new byte[Attributes.Length];
        for (var a = 0; a < Attributes.Length; a++)
        {
            var total = Weights[a].Sum();
            var x = rng.NextDouble() * total;
            var pick = Weights[a].Length - 1;
            for (var v = 0; v < Weights[a].Length; v++)
            {
                x -= Weights[a][v];
                if (x < 0)
                {
                    pick = v;
                    break;
                }
            }

            picks[a] = (byte)pick;
        }

        return picks;
    }

    public string Describe(byte[] picks)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var a = 0; a < Attributes.Length; a++)
        {
            values[Attributes[a]] = Values[a][picks[a]];
        }

        return PromptTemplate.Render(Template, values);
    }
}
