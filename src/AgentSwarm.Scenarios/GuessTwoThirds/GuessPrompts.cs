using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>
/// The prompt texts of one guess-2/3 configuration that every agent without a persona shares: the system prompt, each
/// round's question and the extraction prompt, rendered once per configuration rather than once per call. What
/// depends on the agent (its persona, the feedback on its own earlier guesses) is rendered for each call.
/// </summary>
internal sealed class GuessPrompts
{
    private static readonly ConditionalWeakTable<GuessTwoThirdsConfig, GuessPrompts> ByConfig = [];

    private readonly GuessTwoThirdsConfig _config;
    private readonly GuessLlmConfig _prompts;
    private readonly ConcurrentDictionary<(int Agents, int Rounds), string> _systems = new();
    private readonly ConcurrentDictionary<int, string> _questions = new();

    private GuessPrompts(GuessTwoThirdsConfig config)
    {
        _config = config;
        _prompts = config.LlmOrDefault;
        Ask = _prompts.Mode == GuessAnswerMode.Directly ? _prompts.Directly : _prompts.StepByStep;
        Extract = PromptTemplate.Render(_prompts.Extract, [("max", Format(config.Max))]);
    }

    /// <summary>The question template of the configuration's answer mode.</summary>
    public string Ask { get; }

    /// <summary>The extraction call's system prompt.</summary>
    public string Extract { get; }

    public static GuessPrompts For(GuessTwoThirdsConfig config) => ByConfig.GetValue(config, static c => new GuessPrompts(c));

    /// <summary>The system prompt for a game of <paramref name="agents"/> players and <paramref name="rounds"/> rounds.</summary>
    public string System(int agents, int rounds, string persona) =>
        persona.Length == 0
            ? _systems.GetOrAdd((agents, rounds), static (key, self) => self.RenderSystem(key.Agents, key.Rounds, string.Empty), this)
            : RenderSystem(agents, rounds, persona);

    /// <summary>Round <paramref name="round"/>'s question, after the feedback on the round before (if any).</summary>
    public string Question(string? feedback, int round)
    {
        var question = _questions.GetOrAdd(round, static (r, self) =>
            PromptTemplate.Render(self.Ask, [("round", r.ToString(CultureInfo.InvariantCulture)), ("max", Format(self._config.Max))]), this);
        return feedback is null ? question : string.Concat(feedback, "\n", question);
    }

    /// <summary>What the agent was told after round <paramref name="round"/>.</summary>
    public string Feedback(int round, double guess, double target) =>
        PromptTemplate.Render(_prompts.Feedback, [("round", round.ToString(CultureInfo.InvariantCulture)), ("guess", Format(guess)), ("target", Format(target))]);

    public static string Format(double value) => double.IsNaN(value) ? "none" : value.ToString("0.##", CultureInfo.InvariantCulture);

    private string RenderSystem(int agents, int rounds, string persona)
    {
        var rule = _config.Offset > 0
            ? $"{Format(_config.Offset)} plus {_config.RatioText} of the average of all numbers"
            : $"{_config.RatioText} of the average of all numbers";
        var stance = _prompts.Stance switch { GuessStance.Rational => _prompts.Rational, GuessStance.Strategic => _prompts.Strategic, _ => string.Empty };
        return PromptTemplate.Render(_prompts.System,
        [
            ("agents", agents.ToString(CultureInfo.InvariantCulture)),
            ("max", Format(_config.Max)),
            ("ratio", _config.RatioText),
            ("offset", Format(_config.Offset)),
            ("rule", rule),
            ("rounds", rounds.ToString(CultureInfo.InvariantCulture)),
            ("stance", stance),
            ("persona", persona),
        ]).TrimEnd();
    }
}
