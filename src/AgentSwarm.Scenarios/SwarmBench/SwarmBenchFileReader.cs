using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// Reads a swarmbench scenario file's own fields: task:, grid: (height and width, border walls included; default:
/// the side that keeps the paper's 10 agents on 10 x 10), view:, memory: and prompts: (the LLM agents' templates).
/// </summary>
public static class SwarmBenchFileReader
{
    public static string[] Sections { get; } = ["task", "grid", "view", "memory", "prompts"];

    public static SwarmBenchConfig Read(YamlSection root, int agents, ulong seed)
    {
        if (!root.Has("task"))
        {
            throw root.Error("task", $"missing: say which task (one of: {string.Join(", ", SwarmNames.Tasks.Keys)})");
        }

        var task = root.Choice("task", SwarmTask.Pursuit, SwarmNames.Tasks);
        var side = SwarmRules.SideFor(agents);
        var (height, width) = (side, side);
        if (root.Raw("grid") is YamlDotNet.RepresentationModel.YamlScalarNode)
        {
            height = width = root.Int("grid", side, 6, 10_000);
        }
        else if (root.Section("grid") is { } grid)
        {
            grid.RejectUnknown(["height", "width"]);
            height = grid.Int("height", side, 6, 10_000);
            width = grid.Int("width", side, 6, 10_000);
        }

        var view = root.Int("view", 5, 1, 99);
        if (view % 2 == 0)
        {
            throw root.Error("view", $"must be odd, so the agent stands in the middle (got {view})");
        }

        var memory = root.Int("memory", 5, 1, 100);
        if (SwarmRules.Check(task, height, width, agents, view, seed) is { } problem)
        {
            throw root.Error(root.Has("grid") ? "grid" : "agents", problem.Replace("swarmbench: ", string.Empty, StringComparison.Ordinal));
        }

        return new SwarmBenchConfig(task, height, width, view, memory, SwarmLlmConfig.Read(root.Section("prompts")));
    }
}
