using System.Globalization;
using System.Text;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// A SwarmBench agent. Under the heuristic policy it follows the task's classical rule, under random it picks one of
/// the task's actions at random, under llm it is prompted as the reference prompts its agents: its last views (with
/// global coordinates), its observations, the messages it heard, its last actions and messages, and nothing else.
/// The action is read from the line after "ACTION:" and the message from the line after "MSG:"; an answer with no
/// readable action is STAY, counted as a failed parse. An agent that has left the map does nothing.
/// </summary>
public sealed class SwarmMind(SwarmBenchConfig config, int index) : ILlmAgentMind
{
    public const string FailedParsesCounter = "failed_parses";
    public const string FailedCallsCounter = "failed_calls";

    private readonly List<string> _views = [];
    private readonly List<(int Round, string Action, string Message)> _history = [];
    private int _turns;

    public int FailedParses { get; private set; }

    public int FailedCalls { get; private set; }

    public static SwarmBroadcast World(AgentTurn turn) =>
        turn.Context.Broadcast as SwarmBroadcast ?? throw new InvalidOperationException("swarmbench: the round carries no world");

    public AgentDecision Heuristic(AgentTurn turn)
    {
        var world = World(turn).World;
        if (world.Escaped[index])
        {
            return Gone();
        }

        var random = turn.Random();
        return Act(SwarmClassical.Decide(world, index, ref random), null);
    }

    public AgentDecision Random(AgentTurn turn)
    {
        var world = World(turn).World;
        if (world.Escaped[index])
        {
            return Gone();
        }

        var actions = SwarmNames.Actions(config.Task);
        var random = turn.Random();
        return Act(actions[random.NextInt(actions.Length)], null);
    }

    public async ValueTask<AgentDecision> DecideWithLlmAsync(AgentTurn turn, ILlmClient llm, CancellationToken cancellationToken)
    {
        var broadcast = World(turn);
        var world = broadcast.World;
        if (world.Escaped[index])
        {
            return Gone();
        }

        var prompt = Prompt(turn, world, broadcast.Messages);
        var spec = turn.Context.Policy.Llm!;
        var hint = new LlmHint($"swarmbench.{config.Task.Name()}", index, turn.Round, [world.Rows[index], world.Cols[index]]);
        var response = await llm.CompleteAsync(
            new LlmRequest([new LlmMessage(LlmRole.User, prompt)], spec.Temperature, spec.MaxOutputTokens, null, hint),
            cancellationToken);
        SwarmMove? action = null;
        string? message = null;
        if (!response.Ok)
        {
            FailedCalls++;
        }
        else
        {
            (action, message) = Parse(response.Text ?? string.Empty, SwarmNames.Actions(config.Task));
            if (action is null)
            {
                FailedParses++;
            }
        }

        _history.Add((++_turns, action?.Name() ?? "NONE", message ?? string.Empty));
        Trim(_history);
        return Act(action ?? SwarmMove.Stay, message);
    }

    /// <summary>
    /// Reads an answer as the reference does: the first action name on the line after "ACTION:" (or "Action:",
    /// "action:"; the last of those present wins), and the line after "MSG:" cut to 120 characters.
    /// </summary>
    public static (SwarmMove? Action, string? Message) Parse(string reply, SwarmMove[] actions)
    {
        SwarmMove? action = null;
        foreach (var marker in new[] { "ACTION:", "Action:", "action:" })
        {
            var at = reply.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var line = reply[(at + marker.Length)..].Split('\n', 2)[0].Trim();
            foreach (var candidate in actions)
            {
                if (line.Contains(candidate.Name(), StringComparison.Ordinal))
                {
                    action = candidate;
                    break;
                }
            }
        }

        string? message = null;
        foreach (var marker in new[] { "MSG:", "Msg:", "msg:" })
        {
            var at = reply.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = SwarmView.Clip(reply[(at + marker.Length)..]);
            }
        }

        return (action, message);
    }

    public void Remember(AgentTurn turn, AgentDecision decision)
    {
    }

    public string[] DescribeMemory() =>
    [
        .. _views.Select((v, i) => $"view {i + 1}:\n{v}"),
        .. _history.Select(h => string.Create(CultureInfo.InvariantCulture, $"round {h.Round}: {h.Action}{(h.Message.Length > 0 ? $", \"{h.Message}\"" : string.Empty)}")),
    ];

    public void Save(BinaryWriter writer)
    {
        writer.Write(FailedParses);
        writer.Write(FailedCalls);
        writer.Write(_turns);
        writer.Write(_views.Count);
        foreach (var view in _views)
        {
            writer.Write(view);
        }

        writer.Write(_history.Count);
        foreach (var (round, action, message) in _history)
        {
            writer.Write(round);
            writer.Write(action);
            writer.Write(message);
        }
    }

    public void Restore(BinaryReader reader)
    {
        FailedParses = reader.ReadInt32();
        FailedCalls = reader.ReadInt32();
        _turns = reader.ReadInt32();
        _views.Clear();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            _views.Add(reader.ReadString());
        }

        _history.Clear();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            _history.Add((reader.ReadInt32(), reader.ReadString(), reader.ReadString()));
        }
    }

    public Dictionary<string, int>? Counters() => new(StringComparer.Ordinal)
    {
        [FailedParsesCounter] = FailedParses,
        [FailedCallsCounter] = FailedCalls,
    };

    private static AgentDecision Act(SwarmMove move, string? message) => new(new AgentAction((double)move, message));

    private static AgentDecision Gone() => new(new AgentAction((double)SwarmMove.Stay), Idle: true);

    private string Prompt(AgentTurn turn, SwarmWorld world, string?[] messages)
    {
        var prompts = config.Llm ?? SwarmLlmConfig.Default;
        _views.Add(SwarmView.Render(world, index));
        Trim(_views);
        var views = new StringBuilder();
        for (var k = _views.Count - 1; k >= 0; k--)
        {
            var age = _views.Count - 1 - k;
            views.Append(age == 0 ? "Current Step" : string.Create(CultureInfo.InvariantCulture, $"{age} Steps Before")).Append(":\n").Append(_views[k]);
        }

        var history = new StringBuilder();
        foreach (var (round, action, message) in _history)
        {
            history.Append(CultureInfo.InvariantCulture, $"Round {round}: Action: {action}, Message: \"{message}\"\n");
        }

        var heard = new StringBuilder();
        foreach (var message in SwarmView.Heard(world, messages, index))
        {
            heard.Append("Message: \"").Append(message).Append("\"\n");
        }

        var task = PromptTemplate.Render(prompts.Tasks[config.Task.Name()], new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["shape"] = Shape(world.Agents),
        });
        return PromptTemplate.Render(prompts.Turn, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = index.ToString(CultureInfo.InvariantCulture),
            ["task"] = task,
            ["round"] = world.Round.ToString(CultureInfo.InvariantCulture),
            ["memory"] = config.Memory.ToString(CultureInfo.InvariantCulture),
            ["views"] = views.ToString(),
            ["observation"] = Observation(world),
            ["messages"] = heard.ToString(),
            ["history"] = history.ToString(),
            ["actions"] = string.Join(", ", SwarmNames.Actions(config.Task).Select(a => a.Name())),
        });
    }

    /// <summary>The reference's task observations: the score in pursuit, the light in synchronisation, the food in foraging.</summary>
    private string Observation(SwarmWorld world) => world.Task switch
    {
        SwarmTask.Pursuit => string.Create(CultureInfo.InvariantCulture, $"score: {world.Score}"),
        SwarmTask.Synchronization => $"light_on: {(world.Flags[index] ? "True" : "False")}",
        SwarmTask.Foraging => $"carrying_food: {(world.Flags[index] ? "True" : "False")}",
        _ => string.Empty,
    };

    private static string Shape(int agents)
    {
        var side = SwarmFlock.Side(agents);
        if (side > 40)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the outline of a square {side} cells on a side (its inside empty)");
        }

        var text = new StringBuilder();
        for (var i = 0; i < side; i++)
        {
            for (var j = 0; j < side; j++)
            {
                text.Append(i == 0 || j == 0 || i == side - 1 || j == side - 1 ? 'A' : '.');
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private void Trim<T>(List<T> items)
    {
        while (items.Count > config.Memory)
        {
            items.RemoveAt(0);
        }
    }
}
