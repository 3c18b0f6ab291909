using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>A SwarmBench run: the task, the grid, the view, and the LLM agents' prompts.</summary>
/// <param name="Height">Grid rows, border walls included (the paper: 10).</param>
/// <param name="Width">Grid columns (the paper: 10).</param>
/// <param name="View">The side k of each agent's square view (the paper: 5); messages reach floor(k / 2) cells.</param>
/// <param name="Memory">Views, actions and messages an LLM agent's prompt keeps (the reference: 5).</param>
/// <param name="Llm">The LLM agents' prompt templates (null: the defaults).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.swarmbench-config")]
public sealed record SwarmBenchConfig(SwarmTask Task, int Height, int Width, int View = 5, int Memory = 5, SwarmLlmConfig? Llm = null) : ScenarioConfig
{
    /// <summary>The longest message an agent may broadcast; the rest is cut and replaced by "...".</summary>
    public const int MaxMessage = 120;
}

/// <summary>
/// The prompt of SwarmBench's LLM agents: AgentSwarm's own wording of what the reference's prompt holds (the task,
/// the agent's last views with global coordinates, its observations, the messages it heard, its last actions and
/// messages, the symbols, actions, physics and message rules, and the answer format ACTION: / MSG:). Every text is a
/// template of the scenario file's prompts: section.
/// </summary>
[GenerateSerializer, Immutable, Alias("agentswarm.swarmbench-llm-config")]
public sealed record SwarmLlmConfig(string Turn, Dictionary<string, string> Tasks)
{
    public static IReadOnlyDictionary<string, string[]> Placeholders { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["turn"] = ["name", "task", "round", "memory", "views", "observation", "messages", "history", "actions"],
        [SwarmTask.Pursuit.Name()] = [],
        [SwarmTask.Synchronization.Name()] = [],
        [SwarmTask.Foraging.Name()] = [],
        [SwarmTask.Flocking.Name()] = ["shape"],
        [SwarmTask.Transport.Name()] = [],
    };

    public static SwarmLlmConfig Default { get; } = new(
        Turn: "You are agent {name} of a swarm on a grid. Reach the goal by exploring and by working with the other agents.\n\n"
            + "The task:\n{task}\n\nRound: {round}\n\n"
            + "What you saw in your last {memory} steps (only the cells around you, not the whole map):\n{views}\n\n"
            + "What you observe now:\n{observation}\n\n"
            + "Messages you heard:\n{messages}\n\n"
            + "Your last actions:\n{history}\n\n"
            + "Symbols:\n- a number: the agent with that id (row and column numbers are not ids)\n- Y: you; the others see your id\n"
            + "- W: wall\n- B: an obstacle that moves only if at least 5 agents push it the same way\n- .: empty floor you can move to\n"
            + "- *: outside the map\nand the symbols the task names.\n\n"
            + "Actions: {actions} (and MSG to send a message).\n\n"
            + "Physics:\n1. You weigh 1 and push with a force of up to 2.\n"
            + "2. Something moves only if the total force pushing it one way is at least its weight.\n"
            + "3. Walls (W) never move; only B and agents can be pushed.\n"
            + "4. Force passes on to whatever is directly ahead: push an agent from behind to help it push.\n"
            + "5. You can only push, never pull or drag sideways: to push something right, stand on its left and move RIGHT.\n\n"
            + "Messages:\n1. Every agent within your view hears what you say, next round, and you hear those within yours.\n"
            + "2. Messages carry no sender.\n3. Say only what is needed, without ambiguity.\n"
            + "4. At most 120 characters; the rest is cut and replaced by \"...\".\n\n"
            + "Coordinates are (i, j): i is the row, growing downward; j is the column, growing to the right. "
            + "Your views show global coordinates; use them. Whatever is wholly outside the map (*) is removed.\n\n"
            + "Think about the situation, decide, and say what message to leave, if any. "
            + "End with your action on a line \"ACTION: <action>\" and, if you speak, a line \"MSG: <message on one line>\".",
        Tasks: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SwarmTask.Pursuit.Name()] = "A prey (P) is somewhere on the map. Catch it together: it is caught when its four neighbours "
                + "(up, down, left, right) are all agents or walls. The prey is faster than you (2 steps a round). "
                + "Each catch earns a point, and a new prey appears elsewhere.",
            [SwarmTask.Synchronization.Name()] = "Every agent has a light, on or off. All lights must agree, all on or all off: that earns a point "
                + "(counting agents you cannot see). After that the whole swarm must switch to the opposite state for the next point, and so on. "
                + "The extra action SWITCH flips your light. In your view agents with the light off have a $ before their id.",
            [SwarmTask.Foraging.Name()] = "You are in a maze of walls (W). Carry food (F) to the nest (N): if you carry nothing, go next to "
                + "F to take one piece (there is always more), then go next to N to drop it, which earns a point. You carry one piece at a time; "
                + "only a cell directly beside F or N counts. Agents without food have a $ before their id in your view.",
            [SwarmTask.Flocking.Name()] = "Line up with the other agents, anywhere on the map, in this shape (A is an agent):\n{shape}",
            [SwarmTask.Transport.Name()] = "Walls (W) surround the map except for a gap to the outside (*), which an obstacle (B) blocks. "
                + "Find B, push it out through the gap with at least five agents pushing the same way at once, then leave the map through the gap. "
                + "The sooner you leave, the more it is worth.",
        });

    public static SwarmLlmConfig Read(YamlSection? prompts)
    {
        var d = Default;
        if (prompts is null)
        {
            return d;
        }

        prompts.RejectUnknown(Placeholders.Keys);
        string Template(string key, string fallback) => PromptTemplate.Read(prompts, key, fallback, Placeholders[key]);
        return new SwarmLlmConfig(
            Template("turn", d.Turn),
            d.Tasks.ToDictionary(t => t.Key, t => Template(t.Key, t.Value), StringComparer.Ordinal));
    }
}

/// <summary>What every agent reads at the start of a round: the world as the last round left it, and the messages sent in it.</summary>
/// <param name="Messages">Each agent's message of the last round (null: none), by agent index.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.swarmbench-broadcast")]
public sealed record SwarmBroadcast(SwarmWorld World, string?[] Messages) : ScenarioBroadcast;

/// <summary>One partition's actions (as <see cref="SwarmMove"/> codes) and messages, in agent order.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.swarmbench-partial")]
public sealed record SwarmPartial(byte[] Actions, string?[] Messages) : RoundPartial;

/// <summary>A SwarmBench round: its score, the group metrics, every agent's action and message, and the world it left.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.swarmbench-round-stats")]
public sealed record SwarmRoundStats(
    string Task,
    double Score,
    int Events,
    SwarmMetrics Metrics,
    byte[] Actions,
    string?[] Messages,
    SwarmWorld World) : RoundStats
{
    public override IReadOnlyList<KeyValuePair<string, double>> Columns() =>
    [
        new("score", Score),
        new("events", Events),
        new("action_entropy", Metrics.ActionEntropy),
        new("stillness", Metrics.Stillness),
        new("polarization", Metrics.Polarization),
        new("dominant_action", Metrics.DominantAction),
        new("explored_cells", Metrics.Explored),
        new("message_length", Metrics.MessageLength),
        new("question_share", Metrics.QuestionShare),
    ];
}
