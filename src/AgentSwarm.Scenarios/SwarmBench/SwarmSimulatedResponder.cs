using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// How the simulated backend's "model" answers a SwarmBench turn: a line of analysis, an action drawn from the task's
/// actions (STAY a little more often, as small models do), and in half of its answers a short message, a fifth of them
/// questions. One answer in twenty forgets the ACTION line, so parse failures happen and are counted, as with real models.
/// </summary>
public sealed class SwarmSimulatedResponder : ISimulatedResponder
{
    private static readonly string[] Statements = ["Moving toward the target.", "I see a wall ahead.", "Follow me.", "Spreading out to search."];
    private static readonly string[] Questions = ["Where is the target?", "Anyone see B?", "Which way are you going?"];

    public string TaskPrefix => "swarmbench.";

    public string Respond(LlmRequest request, ref AgentRandom random)
    {
        var hint = request.Hint!;
        var task = hint.Task["swarmbench.".Length..];
        var actions = task == SwarmTask.Synchronization.Name()
            ? new[] { "UP", "DOWN", "LEFT", "RIGHT", "STAY", "STAY", "SWITCH", "SWITCH" }
            : new[] { "UP", "DOWN", "LEFT", "RIGHT", "STAY", "STAY" };
        var action = actions[random.NextInt(actions.Length)];
        var analysis = string.Create(CultureInfo.InvariantCulture, $"I am at ({hint.Values[0]}, {hint.Values[1]}) in round {hint.Round}. ");
        if (random.NextInt(20) == 0)
        {
            return analysis + "I am not sure what to do next, so I will think about it more.";
        }

        var text = analysis + $"I will go with {action}.\nACTION: {action}";
        if (random.NextInt(2) == 0)
        {
            var message = random.NextInt(5) == 0 ? Questions[random.NextInt(Questions.Length)] : Statements[random.NextInt(Statements.Length)];
            text += $"\nMSG: {message}";
        }

        return text;
    }
}
