using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>
/// The prompts of AgentsNet's LLM agents (AgentSwarm's own wording of the protocol in SCENARIOS.md section 2). Every
/// text is a template of the scenario file's prompts: section; <see cref="Placeholders"/> lists what each may use.
/// </summary>
/// <param name="ChainOfThought">Ask the model to reason before it answers (default, as in the reference) or to answer at once.</param>
/// <param name="System">The system prompt: who the agent is, whom it can talk to, the rounds and the task.</param>
/// <param name="Tasks">Each task's description, by task name (consensus, leader_election, ...), filled into {task}.</param>
/// <param name="Round">The prompt of a message round: last round's messages, then the JSON format of this round's.</param>
/// <param name="Final">The prompt of the answer round: last round's messages, then the "### Final Answer ###" format.</param>
/// <param name="Think">What {reasoning} says with chain of thought on.</param>
/// <param name="Direct">What {reasoning} says with chain of thought off.</param>
/// <param name="Retry">The follow-up after a reply that could not be read; {problem} says why.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.agentsnet-llm-config")]
public sealed record AgentsNetLlmConfig(
    bool ChainOfThought,
    string System,
    Dictionary<string, string> Tasks,
    string Round,
    string Final,
    string Think,
    string Direct,
    string Retry)
{
    private static readonly string[] TaskPlaceholders = ["name", "colours", "options"];

    /// <summary>Placeholders each template may use.</summary>
    public static IReadOnlyDictionary<string, string[]> Placeholders { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["system"] = ["agents", "name", "neighbours", "rounds", "task"],
        ["round"] = ["round", "rounds", "messages", "neighbours", "reasoning"],
        ["final"] = ["messages", "options", "reasoning"],
        ["think"] = [],
        ["direct"] = [],
        ["retry"] = ["problem"],
        [AgentsNetTask.Consensus.Name()] = TaskPlaceholders,
        [AgentsNetTask.LeaderElection.Name()] = TaskPlaceholders,
        [AgentsNetTask.Matching.Name()] = TaskPlaceholders,
        [AgentsNetTask.Coloring.Name()] = TaskPlaceholders,
        [AgentsNetTask.VertexCover.Name()] = TaskPlaceholders,
    };

    public static AgentsNetLlmConfig Default { get; } = new(
        ChainOfThought: true,
        System: "You are {name}, one of {agents} agents in a network. You can exchange messages only with your neighbours: {neighbours}. "
            + "You know nothing else about the network. There are {rounds} rounds of messages: in each round you may send one message to each "
            + "neighbour, and you read their messages in the next round. After the last round every agent gives a final answer.\n\nYour task: {task}",
        Tasks: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [AgentsNetTask.Consensus.Name()] = "All agents of the network must agree on the same value, 0 or 1. Your final answer is 0 or 1.",
            [AgentsNetTask.LeaderElection.Name()] = "Exactly one agent of the whole network must become its leader. Your final answer is Yes if you are the leader, otherwise No.",
            [AgentsNetTask.Matching.Name()] = "Form pairs of neighbouring agents so that every agent is in at most one pair and no two unpaired agents are neighbours. "
                + "Your final answer is the name of the neighbour you are paired with, or None if you are unpaired.",
            [AgentsNetTask.Coloring.Name()] = "Every agent must join one of the groups Group 1 to Group {colours} so that no two neighbours are in the same group. "
                + "Your final answer is your group, for example Group 1.",
            [AgentsNetTask.VertexCover.Name()] = "Choose coordinators so that of every two neighbours at least one is a coordinator, and no coordinator could step down "
                + "without breaking that. Your final answer is Yes if you are a coordinator, otherwise No.",
        },
        Round: "Round {round} of {rounds}. The messages your neighbours sent you in the last round:\n{messages}\n\n{reasoning} "
            + "Write one JSON object whose keys are your neighbours' names ({neighbours}) and whose values are the messages you send them this round.",
        Final: "The message rounds are over. The messages your neighbours sent you in the last round:\n{messages}\n\n{reasoning} "
            + "End your reply with a line of the form ### Final Answer ### X, where X is one of: {options}.",
        Think: "Think step by step about the task and what you have learnt so far, then answer.",
        Direct: "Answer at once, without any explanation.",
        Retry: "Your reply could not be read: {problem}. Reply again, in the format asked for.");

    /// <summary>Reads a prompts: section (null: the defaults), refusing unknown keys and placeholders with the field named.</summary>
    public static AgentsNetLlmConfig Read(YamlSection? prompts)
    {
        var d = Default;
        if (prompts is null)
        {
            return d;
        }

        prompts.RejectUnknown(Placeholders.Keys.Append("chain-of-thought"));
        string Template(string key, string fallback) => PromptTemplate.Read(prompts, key, fallback, Placeholders[key]);
        return new AgentsNetLlmConfig(
            prompts.Bool("chain-of-thought", d.ChainOfThought),
            Template("system", d.System),
            d.Tasks.ToDictionary(t => t.Key, t => Template(t.Key, t.Value), StringComparer.Ordinal),
            Template("round", d.Round),
            Template("final", d.Final),
            Template("think", d.Think),
            Template("direct", d.Direct),
            Template("retry", d.Retry));
    }
}
