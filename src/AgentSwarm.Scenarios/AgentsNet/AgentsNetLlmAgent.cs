using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>
/// An AgentsNet agent driven by an LLM, after the reference's protocol: a system prompt with the agent's name, its
/// neighbours' names, the number of agents, the rounds and the task; in each message round it reads last round's
/// messages and replies with a JSON object {neighbour: message}; in the answer round it replies with
/// "### Final Answer ### X". A reply that cannot be read gets one retry in the same conversation, then the
/// reference's fallback (no messages, or no answer), counted. The agent keeps its whole conversation.
/// </summary>
public sealed class AgentsNetLlmAgent : ILlmAgentMind
{
    public const string FallbacksCounter = "fallbacks";
    public const string FailedParsesCounter = "failed_parses";
    public const string FailedCallsCounter = "failed_calls";

    private readonly AgentsNetConfig _config;
    private readonly AgentsNetLlmConfig _prompts;
    private readonly int _index;
    private readonly ulong _seed;
    private readonly List<LlmMessage> _conversation = [];
    private IAgentMind? _classical;

    public AgentsNetLlmAgent(AgentsNetConfig config, ulong seed, int index)
    {
        _config = config;
        _prompts = config.Llm ?? AgentsNetLlmConfig.Default;
        _seed = seed;
        _index = index;
    }

    /// <summary>Replies that could not be read (each attempt counts).</summary>
    public int FailedParses { get; private set; }

    /// <summary>Calls the inference pool failed (server down, timeouts after its retries).</summary>
    public int FailedCalls { get; private set; }

    /// <summary>Turns that ended in the fallback after the retry: no messages sent, or no answer.</summary>
    public int Fallbacks { get; private set; }

    /// <summary>The final answer, once given (null before, or when the fallback was taken).</summary>
    public string? Answer { get; private set; }

    private string Me => _config.Names[_index];

    public async ValueTask<AgentDecision> DecideWithLlmAsync(AgentTurn turn, ILlmClient llm, CancellationToken cancellationToken)
    {
        var names = turn.Neighbours.Select(n => _config.Names[n]).ToArray();
        if (_conversation.Count == 0)
        {
            _conversation.Add(new LlmMessage(LlmRole.System, SystemPrompt(turn, names)));
        }

        var final = turn.Round > _config.MessageRounds;
        var options = final ? AgentsNetRules.Options(_config.Task, _config.Colours, names) : [];
        _conversation.Add(new LlmMessage(LlmRole.User, final ? FinalPrompt(turn, options) : RoundPrompt(turn, names)));

        var spec = turn.Context.Policy.Llm!;
        var task = $"agentsnet.{_config.Task.Name()}.{(final ? "answer" : "message")}";
        var retried = false;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // The hint tells the simulated backend the task, the colours, whether to reason, and whether this is the retry after a complaint.
            var hint = new LlmHint(task, _index, turn.Round, [_config.Colours, _prompts.ChainOfThought ? 1 : 0, retried ? 1 : 0], [Me, .. names]);
            var response = await llm.CompleteAsync(
                new LlmRequest([.. _conversation], spec.Temperature, spec.MaxOutputTokens, null, hint, Priority: attempt),
                cancellationToken);
            string problem;
            if (!response.Ok)
            {
                // Nothing came back, so there is nothing to correct: the retry asks the same again.
                FailedCalls++;
                problem = string.Empty;
            }
            else
            {
                var reply = response.Text ?? string.Empty;
                _conversation.Add(new LlmMessage(LlmRole.Assistant, reply));
                if (final)
                {
                    if (AgentsNetRules.ParseAnswer(reply, options) is { } answer)
                    {
                        Answer = answer;
                        return new AgentDecision(new AgentAction(1, answer));
                    }

                    problem = reply.Contains(AgentsNetRules.AnswerMarker, StringComparison.Ordinal)
                        ? $"the answer after {AgentsNetRules.AnswerMarker} is not one of: {string.Join(", ", options)}"
                        : $"it has no line starting with {AgentsNetRules.AnswerMarker}";
                }
                else
                {
                    if (ParseMessages(reply, names, out problem) is { } messages)
                    {
                        return new AgentDecision(new AgentAction(0), Outgoing(turn, names, messages));
                    }
                }

                FailedParses++;
            }

            if (attempt == 0 && problem.Length > 0)
            {
                _conversation.Add(new LlmMessage(LlmRole.User, PromptTemplate.Render(_prompts.Retry, new Dictionary<string, string>(StringComparer.Ordinal) { ["problem"] = problem })));
                retried = true;
            }
        }

        // The reference's fallback: no messages this round, or no answer.
        Fallbacks++;
        return new AgentDecision(new AgentAction(final ? 1 : 0));
    }

    /// <summary>
    /// Reads the messages of a reply: the last JSON object in it (reasoning may come first, and the object may sit in a
    /// code fence). Keys that are not neighbours are dropped, as in the reference; a value that is not a string is
    /// sent as its JSON text. Null, with the problem, when the reply holds no JSON object.
    /// </summary>
    public static Dictionary<string, string>? ParseMessages(string reply, IReadOnlyList<string> neighbours, out string problem)
    {
        // Scan left to right; a value that parses is skipped whole, so what is kept is the last outermost object.
        JsonElement? found = null;
        var bytes = Encoding.UTF8.GetBytes(reply);
        var options = new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
        for (var at = Array.IndexOf(bytes, (byte)'{'); at >= 0; at = Array.IndexOf(bytes, (byte)'{', at + 1))
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(at), options);
            try
            {
                if (JsonDocument.TryParseValue(ref reader, out var document))
                {
                    using (document)
                    {
                        found = document.RootElement.Clone();
                    }

                    at += (int)reader.BytesConsumed - 1;
                }
            }
            catch (JsonException)
            {
                // Not JSON from this brace: try the next one.
            }
        }

        if (found is not { ValueKind: JsonValueKind.Object } element)
        {
            problem = "it holds no JSON object of the form {\"neighbour name\": \"message\"}";
            return null;
        }

        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = neighbours.FirstOrDefault(n => string.Equals(n, property.Name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (name is not null)
            {
                messages[name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }

        problem = string.Empty;
        return messages;
    }

    public AgentDecision Heuristic(AgentTurn turn) => Classical().Heuristic(turn);

    public AgentDecision Random(AgentTurn turn) => Classical().Random(turn);

    public void Remember(AgentTurn turn, AgentDecision decision)
    {
        // The conversation is the memory; DecideWithLlmAsync keeps it.
    }

    public string[] DescribeMemory() =>
        [.. _conversation.Select(m => $"{m.Role.ToString().ToLowerInvariant()}: {m.Text}")];

    public LlmMessage[] Transcript() => [.. _conversation];

    public void Save(BinaryWriter writer)
    {
        writer.Write(FailedParses);
        writer.Write(FailedCalls);
        writer.Write(Fallbacks);
        writer.Write(Answer is not null);
        if (Answer is not null)
        {
            writer.Write(Answer);
        }

        writer.Write(_conversation.Count);
        foreach (var message in _conversation)
        {
            writer.Write((byte)message.Role);
            writer.Write(message.Text);
        }

        writer.Write(_classical is not null);
        _classical?.Save(writer);
    }

    public void Restore(BinaryReader reader)
    {
        FailedParses = reader.ReadInt32();
        FailedCalls = reader.ReadInt32();
        Fallbacks = reader.ReadInt32();
        Answer = reader.ReadBoolean() ? reader.ReadString() : null;
        _conversation.Clear();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            _conversation.Add(new LlmMessage((LlmRole)reader.ReadByte(), reader.ReadString()));
        }

        if (reader.ReadBoolean())
        {
            Classical().Restore(reader);
        }
    }

    public Dictionary<string, int> Counters() => new(StringComparer.Ordinal)
    {
        [FallbacksCounter] = Fallbacks,
        [FailedParsesCounter] = FailedParses,
        [FailedCallsCounter] = FailedCalls,
    };

    private IAgentMind Classical() => _classical ??= ClassicalAgent.Create(_config, _seed, _index);

    private string SystemPrompt(AgentTurn turn, string[] names)
    {
        var taskValues = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = Me,
            ["colours"] = _config.Colours.ToString(CultureInfo.InvariantCulture),
            ["options"] = string.Join(", ", AgentsNetRules.Options(_config.Task, _config.Colours, names)),
        };
        return PromptTemplate.Render(_prompts.System, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["agents"] = turn.Context.Agents.ToString(CultureInfo.InvariantCulture),
            ["name"] = Me,
            ["neighbours"] = string.Join(", ", names),
            ["rounds"] = _config.MessageRounds.ToString(CultureInfo.InvariantCulture),
            ["task"] = PromptTemplate.Render(_prompts.Tasks[_config.Task.Name()], taskValues),
        });
    }

    private string RoundPrompt(AgentTurn turn, string[] names) =>
        PromptTemplate.Render(_prompts.Round, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["round"] = turn.Round.ToString(CultureInfo.InvariantCulture),
            ["rounds"] = _config.MessageRounds.ToString(CultureInfo.InvariantCulture),
            ["messages"] = Inbox(turn),
            ["neighbours"] = string.Join(", ", names),
            ["reasoning"] = _prompts.ChainOfThought ? _prompts.Think : _prompts.Direct,
        });

    private string FinalPrompt(AgentTurn turn, IReadOnlyList<string> options) =>
        PromptTemplate.Render(_prompts.Final, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["messages"] = Inbox(turn),
            ["options"] = string.Join(", ", options),
            ["reasoning"] = _prompts.ChainOfThought ? _prompts.Think : _prompts.Direct,
        });

    /// <summary>Last round's messages, one line each ("Name: text"), in the order they arrived.</summary>
    private string Inbox(AgentTurn turn)
    {
        if (turn.Inbox.Length == 0)
        {
            return turn.Round == 1 ? "(none yet: this is the first round)" : "(none)";
        }

        var text = new StringBuilder();
        foreach (var message in turn.Inbox)
        {
            text.Append(_config.Names[message.From]).Append(": ").Append(message.Text.ReplaceLineEndings(" ")).Append('\n');
        }

        return text.ToString(0, text.Length - 1);
    }

    private static OutgoingMessage[] Outgoing(AgentTurn turn, string[] names, Dictionary<string, string> messages)
    {
        var outgoing = new List<OutgoingMessage>(messages.Count);
        for (var i = 0; i < names.Length; i++)
        {
            if (messages.TryGetValue(names[i], out var text) && text.Length > 0)
            {
                outgoing.Add(new OutgoingMessage(turn.Neighbours[i], text));
            }
        }

        return [.. outgoing];
    }
}
