using System.Text.Json;
using AgentSwarm.Scenarios.SwarmBench;

namespace AgentSwarm.Scenarios.Tests;

/// <summary>
/// Episodes played by the reference's own code (its environment, its integer-program physics, its task rules) with
/// scripted actions, replayed here round by round: the same initial world, and after every round the same agents,
/// prey, box, lights, food and score. swarmbench/README.md says how the files were made.
/// </summary>
public sealed class SwarmBenchReferenceTests
{
    /// <summary>Transport episodes in which every agent speaks every round, with what each one heard next round.</summary>
    private const string MessagesFile = "reference-messages.json";

    public static TheoryData<string, int> Episodes()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in new[] { "reference-random.json", "reference-events.json", MessagesFile })
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "swarmbench", file)));
            for (var i = 0; i < json.RootElement.GetProperty("episodes").GetArrayLength(); i++)
            {
                data.Add(file, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Episodes))]
    public void AnEpisodeOfTheReferenceReplaysRoundByRound(string file, int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "swarmbench", file)));
        var episode = json.RootElement.GetProperty("episodes")[index];
        var task = SwarmNames.Tasks[episode.GetProperty("task").GetString()!];
        var seed = episode.GetProperty("seed").GetUInt64();
        var label = $"{task.Name()} seed {seed} ({episode.GetProperty("label").GetString()})";
        var world = SwarmRules.Create(task, 10, 10, 5, 10, 100, seed);
        AssertState(episode.GetProperty("initial"), world, $"{label}, initial");

        var round = 0;
        foreach (var step in episode.GetProperty("rounds").EnumerateArray())
        {
            round++;
            var actions = step.GetProperty("actions").EnumerateArray()
                .Select(a => Enum.GetValues<SwarmMove>().Single(m => m.Name() == a.GetString()))
                .ToArray();
            world = SwarmRules.Step(world, actions);
            AssertState(step.GetProperty("state"), world, $"{label}, round {round}");
        }
    }

    public static TheoryData<int> SpokenEpisodes()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "swarmbench", MessagesFile)));
        var data = new TheoryData<int>();
        for (var i = 0; i < json.RootElement.GetProperty("episodes").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SpokenEpisodes))]
    public void EveryAgentHearsWhatTheReferenceLetsItHearRoundByRoundIncludingWordsSpokenWhileLeavingTheMap(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "swarmbench", MessagesFile)));
        var episode = json.RootElement.GetProperty("episodes")[index];
        var task = SwarmNames.Tasks[episode.GetProperty("task").GetString()!];
        var seed = episode.GetProperty("seed").GetUInt64();
        var world = SwarmRules.Create(task, 10, 10, 5, 10, 100, seed);
        var round = 0;
        var fromLeavers = 0;
        foreach (var step in episode.GetProperty("rounds").EnumerateArray())
        {
            var actions = step.GetProperty("actions").EnumerateArray()
                .Select(a => Enum.GetValues<SwarmMove>().Single(m => m.Name() == a.GetString()))
                .ToArray();
            var messages = step.GetProperty("messages").EnumerateArray().Select(m => m.GetString()).ToArray();
            var before = world;
            world = SwarmRules.Step(world, actions);
            var heard = step.GetProperty("heard");
            for (var a = 0; a < world.Agents; a++)
            {
                if (heard[a].ValueKind == JsonValueKind.Null)
                {
                    continue; // the reference's agent has left the map and no longer decides
                }

                var expected = heard[a].EnumerateArray().Select(m => m.GetString()!).ToList();
                Assert.True(
                    expected.SequenceEqual(SwarmView.Heard(world, messages, a)),
                    $"seed {seed}, after round {round}: agent {a} hears [{string.Join(" | ", SwarmView.Heard(world, messages, a))}], the reference [{string.Join(" | ", expected)}]");
                fromLeavers += Enumerable.Range(0, world.Agents).Count(s => world.Escaped[s] && !before.Escaped[s] && expected.Contains(messages[s]!));
            }

            round++;
        }

        // The episode exercises the case: words spoken in the round their speaker left reached someone.
        Assert.True(fromLeavers > 0, $"seed {seed}: no one heard an agent that was leaving the map");
    }

    private static void AssertState(JsonElement expected, SwarmWorld world, string where)
    {
        var agents = expected.GetProperty("agents").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32())).ToArray();
        Assert.True(
            agents.SequenceEqual(Enumerable.Range(0, world.Agents).Select(a => (world.Rows[a], world.Cols[a]))),
            $"{where}: agents at {string.Join(" ", Enumerable.Range(0, world.Agents).Select(a => $"({world.Rows[a]},{world.Cols[a]})"))}, the reference has {string.Join(" ", agents.Select(p => $"({p.Item1},{p.Item2})"))}");
        if (expected.GetProperty("prey") is { ValueKind: JsonValueKind.Array } prey)
        {
            Assert.True((prey[0].GetInt32(), prey[1].GetInt32()) == (world.PreyRow, world.PreyCol), $"{where}: prey at ({world.PreyRow},{world.PreyCol}), the reference has ({prey[0]},{prey[1]})");
            Assert.Equal(expected.GetProperty("prey_static").GetBoolean(), world.PreyStatic);
        }

        if (expected.GetProperty("box") is { ValueKind: JsonValueKind.Array } box)
        {
            Assert.True((box[0].GetInt32(), box[1].GetInt32()) == (world.BoxRow, world.BoxCol), $"{where}: box at ({world.BoxRow},{world.BoxCol}), the reference has ({box[0]},{box[1]})");
        }
        else if (world.Task == SwarmTask.Transport)
        {
            Assert.False(world.HasBox, $"{where}: the reference's box is gone");
        }

        AssertFlags(expected, "lights", world.Task == SwarmTask.Synchronization ? world.Flags : null, where);
        AssertFlags(expected, "carrying", world.Task == SwarmTask.Foraging ? world.Flags : null, where);
        AssertFlags(expected, "escaped", world.Task == SwarmTask.Transport ? world.Escaped : null, where);
        Assert.True(Math.Abs(expected.GetProperty("score").GetDouble() - world.Score) < 1e-9, $"{where}: score {world.Score}, the reference has {expected.GetProperty("score")}");
    }

    private static void AssertFlags(JsonElement expected, string name, bool[]? actual, string where)
    {
        if (expected.GetProperty(name) is { ValueKind: JsonValueKind.Array } flags)
        {
            Assert.True(flags.EnumerateArray().Select(f => f.GetBoolean()).SequenceEqual(actual!), $"{where}: {name} differ");
        }
    }
}
