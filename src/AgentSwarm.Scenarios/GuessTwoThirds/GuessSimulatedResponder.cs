using System.Globalization;
using System.Text.RegularExpressions;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>
/// How the simulated backend's "model" plays guess-2/3, after the behaviour AgentScope reports: told to answer
/// directly it centres near the middle of the range; reasoning step by step it iterates ratio x anchor one to three
/// times (so first-round numbers fall); from round 2 it anchors on the last winning number. The extraction call
/// reads the last number the answer names, as an extraction model would, or says None.
/// </summary>
public sealed partial class GuessSimulatedResponder : ISimulatedResponder
{
    public string TaskPrefix => "guess.";

    public string Respond(LlmRequest request, ref AgentRandom random)
    {
        var hint = request.Hint!;
        if (hint.Task == "guess.extract")
        {
            var answer = request.Messages[^1].Text;
            var numbers = Number().Matches(answer);
            return numbers.Count == 0 ? "None" : numbers[^1].Value;
        }

        var (previous, max, ratio, offset) = (hint.Values[0], hint.Values[1], hint.Values[2], hint.Values[3]);
        var stepByStep = hint.Task.EndsWith("step-by-step", StringComparison.Ordinal);
        var anchor = double.IsNaN(previous) ? max / 2 : previous;
        double guess;
        if (!stepByStep && double.IsNaN(previous))
        {
            guess = anchor + (max * 0.15 * random.NextGaussian());
        }
        else
        {
            var depth = 1 + random.NextInt(stepByStep ? 3 : 2);
            guess = anchor;
            for (var k = 0; k < depth; k++)
            {
                guess = offset + (ratio * guess);
            }

            guess += max * 0.03 * random.NextGaussian();
        }

        var number = Math.Round(Math.Clamp(guess, 0, max), 2).ToString("0.##", CultureInfo.InvariantCulture);
        if (!stepByStep)
        {
            return random.NextInt(2) == 0 ? number : $"My number is {number}.";
        }

        return double.IsNaN(previous)
            ? $"If everyone picked at random, the average would be about {(max / 2).ToString("0.##", CultureInfo.InvariantCulture)}. "
              + $"Others will expect that and aim lower, so I will aim lower still. I choose {number}."
            : $"The winning number last round was {previous.ToString("0.##", CultureInfo.InvariantCulture)}. "
              + $"The others will move below it, so I will too. My answer is {number}.";
    }

    [GeneratedRegex(@"-?\d+(?:\.\d+)?")]
    private static partial Regex Number();
}
