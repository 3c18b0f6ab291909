using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Engine.Topology;
using AgentSwarm.Scenarios.AgentsNet;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.Tests;

public sealed class AgentsNetLlmTests
{
    private static readonly string[] Neighbours = ["Anna", "Bob"];

    // A star: Ann (0) talks to Anna (1) and Bob (2).
    private static AgentsNetConfig Config(AgentsNetTask task, AgentsNetLlmConfig? prompts = null)
    {
        var graph = AgentsNetGraph.Create(Graph.FromEdges(3, [0, 0], [1, 2]), ["Ann", "Anna", "Bob"], "test");
        var spec = AgentsNetRun.Spec(task, graph, new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=test-tiny"])), 1, llm: prompts);
        return (AgentsNetConfig)spec.Config;
    }

    private static AgentTurn Turn(AgentsNetConfig config, int round, params InboxMessage[] inbox) =>
        new(0, new RoundContext("r", round, 1, AgentsNetScenario.ScenarioName, config, new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=test-tiny"])), null, 3, config.TotalRounds), [1, 2], inbox);

    /// <summary>Answers with the scripted replies in order, and keeps what it was asked.</summary>
    private sealed class ScriptedModel(params string?[] replies) : ILlmClient
    {
        private int _next;

        public List<LlmRequest> Requests { get; } = [];

        public ValueTask<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            var reply = replies[_next++];
            return ValueTask.FromResult(reply is null
                ? LlmResponse.Failure("connection refused")
                : new LlmResponse(LlmOutcome.Ok, reply, null, 10, 5, "e", 1, 0, false));
        }
    }

    [Theory]
    [InlineData("{\"Anna\": \"hi\", \"Bob\": \"yo\"}", "hi", "yo")]
    [InlineData("I will tell both.\n```json\n{\"Anna\": \"hi\", \"Bob\": \"yo\"}\n```", "hi", "yo")]
    [InlineData("First {\"Anna\": \"draft\"} then the real one: {\"anna\": \"hi\", \"Bob\": {\"group\": 2}}", "hi", "{\"group\": 2}")]
    [InlineData("{\"Anna\": \"hi\", \"Zed\": \"dropped\"}", "hi", null)]
    public void MessagesAreTheLastOutermostJsonObjectWithNonNeighboursDropped(string reply, string? toAnna, string? toBob)
    {
        var messages = AgentsNetLlmAgent.ParseMessages(reply, Neighbours, out var problem);
        Assert.NotNull(messages);
        Assert.Equal(string.Empty, problem);
        Assert.Equal(toAnna, messages.GetValueOrDefault("Anna"));
        Assert.Equal(toBob, messages.GetValueOrDefault("Bob"));
        Assert.False(messages.ContainsKey("Zed"));
    }

    [Theory]
    [InlineData("Hmm, that is a hard one.")]
    [InlineData("{\"Anna\": \"unterminated")]
    [InlineData("[\"Anna\", \"Bob\"]")]
    public void AReplyWithoutAJsonObjectCannotBeRead(string reply)
    {
        Assert.Null(AgentsNetLlmAgent.ParseMessages(reply, Neighbours, out var problem));
        Assert.Contains("no JSON object", problem);
    }

    [Fact]
    public async Task TheSystemPromptNamesTheAgentItsNeighboursTheRoundsAndTheTask()
    {
        var config = Config(AgentsNetTask.Coloring);
        var agent = new AgentsNetLlmAgent(config, 1, 0);
        var model = new ScriptedModel("{\"Anna\": \"I am in Group 1\", \"Bob\": \"me too?\"}");
        var decision = await agent.DecideWithLlmAsync(Turn(config, 1), model, CancellationToken.None);

        var system = model.Requests[0].Messages[0];
        Assert.Equal(LlmRole.System, system.Role);
        Assert.Contains("You are Ann, one of 3 agents", system.Text);
        Assert.Contains("neighbours: Anna, Bob", system.Text);
        Assert.Contains($"There are {config.MessageRounds} rounds", system.Text);
        Assert.Contains("Group 1 to Group 3", system.Text);
        Assert.Contains("Think step by step", model.Requests[0].Messages[1].Text);
        Assert.Equal([new OutgoingMessage(1, "I am in Group 1"), new OutgoingMessage(2, "me too?")], decision.Outgoing!);
        Assert.Equal(0, agent.FailedParses);
    }

    [Fact]
    public async Task AnUnreadableMessageGetsOneRetryInTheSameConversationThenTheEmptyFallback()
    {
        var config = Config(AgentsNetTask.Consensus);
        var agent = new AgentsNetLlmAgent(config, 1, 0);

        // Round 1: garbage, then a good reply on the retry.
        var model = new ScriptedModel("no idea", "{\"Anna\": \"0\", \"Bob\": \"0\"}", "still nothing", "nope");
        var first = await agent.DecideWithLlmAsync(Turn(config, 1), model, CancellationToken.None);
        Assert.Equal(2, first.Outgoing!.Length);
        Assert.Equal((1, 0), (agent.FailedParses, agent.Fallbacks));
        var retry = model.Requests[1].Messages;
        Assert.Equal("no idea", retry[^2].Text);
        Assert.Contains("could not be read: it holds no JSON object", retry[^1].Text);

        // Round 2: garbage twice: the fallback sends nothing. The prompt shows what the neighbours sent.
        var second = await agent.DecideWithLlmAsync(Turn(config, 2, new InboxMessage(1, "1"), new InboxMessage(2, "0")), model, CancellationToken.None);
        Assert.Empty(second.Outgoing ?? []);
        Assert.Equal((3, 1), (agent.FailedParses, agent.Fallbacks));
        Assert.Contains("Anna: 1\nBob: 0", model.Requests[2].Messages[^1].Text);
        Assert.Equal(1 + 4 + 4, agent.Transcript().Length); // system; per round: prompt, reply, complaint, reply
        Assert.Equal(1, agent.Counters()[AgentsNetLlmAgent.FallbacksCounter]);
    }

    [Fact]
    public async Task TheFinalAnswerIsParsedExactlyAndAnUnreadableOneEndsWithNoAnswer()
    {
        var config = Config(AgentsNetTask.Matching);
        var answerRound = config.MessageRounds + 1;

        var agent = new AgentsNetLlmAgent(config, 1, 0);
        var model = new ScriptedModel("I pair with Anna.\n### Final Answer ### Anna");
        var decision = await agent.DecideWithLlmAsync(Turn(config, answerRound), model, CancellationToken.None);
        Assert.Equal(new AgentAction(1, "Anna"), decision.Action);
        Assert.Contains("one of: Anna, Bob, None", model.Requests[0].Messages[^1].Text);

        // "Ann" is no option of Ann's (she is not her own neighbour), and a prefix of Anna: exact parsing refuses it.
        var wrong = new AgentsNetLlmAgent(config, 1, 0);
        var garbage = new ScriptedModel("### Final Answer ### Ann", null);
        var fallback = await wrong.DecideWithLlmAsync(Turn(config, answerRound), garbage, CancellationToken.None);
        Assert.Equal(new AgentAction(1, null), fallback.Action);
        Assert.Contains("is not one of: Anna, Bob, None", garbage.Requests[1].Messages[^1].Text);
        Assert.Equal((1, 1, 1), (wrong.FailedParses, wrong.FailedCalls, wrong.Fallbacks));
    }

    [Fact]
    public async Task ChainOfThoughtCanBeSwitchedOffInTheScenarioFile()
    {
        var spec = ScenarioFile.Parse(
            "scenario: agentsnet\ntask: coloring\ngraph: {kind: ws, nodes: 10}\nprompts:\n  chain-of-thought: false\n  direct: Be brief.\n",
            "a.yaml");
        var config = (AgentsNetConfig)spec.Config;
        Assert.False(config.Llm!.ChainOfThought);
        Assert.Equal("Be brief.", config.Llm.Direct);

        var agent = new AgentsNetLlmAgent(Config(AgentsNetTask.Coloring, config.Llm), 1, 0);
        var model = new ScriptedModel("{}");
        await agent.DecideWithLlmAsync(Turn(Config(AgentsNetTask.Coloring, config.Llm), 1), model, CancellationToken.None);
        Assert.Contains("Be brief.", model.Requests[0].Messages[1].Text);
        Assert.DoesNotContain("step by step", model.Requests[0].Messages[1].Text);
    }

    [Theory]
    [InlineData("prompts:\n  round: Round {round}, colour {colour}\n", "prompts.round", "unknown placeholder {colour}")]
    [InlineData("prompts:\n  coloring: Use {colours} colours, {rounds} rounds\n", "prompts.coloring", "unknown placeholder {rounds}")]
    [InlineData("prompts:\n  memory: all\n", "prompts.memory", "unknown field")]
    public void BadPromptTemplatesNameTheField(string prompts, string field, string problem)
    {
        var error = Assert.Throws<ScenarioFileException>(() =>
            ScenarioFile.Parse("scenario: agentsnet\ntask: coloring\ngraph: {kind: ws, nodes: 10}\n" + prompts, "a.yaml"));
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message);
    }
}
