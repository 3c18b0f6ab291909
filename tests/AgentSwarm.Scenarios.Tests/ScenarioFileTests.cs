using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.Files;
using AgentSwarm.Scenarios.GuessTwoThirds;

namespace AgentSwarm.Scenarios.Tests;

public sealed class ScenarioFileTests
{
    private const string File = "test.yaml";

    private static ScenarioFileException Fails(string yaml, RunOverrides? overrides = null) =>
        Assert.Throws<ScenarioFileException>(() => ScenarioFile.Parse(yaml, File, overrides));

    [Fact]
    public void TheShippedGuessTwoThirdsScenarioLoads()
    {
        var spec = ScenarioFile.Load(Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds.yaml"));
        Assert.Equal(GuessTwoThirdsScenario.ScenarioName, spec.Scenario);
        Assert.Equal(10_000, spec.Agents);
        Assert.Equal(5, spec.Rounds);
        var config = Assert.IsType<GuessTwoThirdsConfig>(spec.Config);
        Assert.Equal(2.0 / 3.0, config.Ratio);
        Assert.Equal("2/3", config.RatioText);
        Assert.Equal(PolicyNames.Heuristic, spec.Policy.Name);
    }

    [Fact]
    public void FieldsAndOverridesAreRead()
    {
        var spec = ScenarioFile.Parse(
            """
            scenario: guess-two-thirds
            agents: 1_000
            rounds: 3
            seed: 9
            policy: { name: dummy-latency, latency: 250ms }
            topology: { kind: ws, degree: 6, rewire: 0.25 }
            game: { ratio: 51/100, offset: 5, max: 200 }
            population: { levels: [1, 1], invalid: 0.1 }
            messaging: { mode: neighbours, social-weight: 0.2 }
            """,
            File,
            new RunOverrides(Agents: 2000, Seed: 5));

        Assert.Equal(2000, spec.Agents);
        Assert.Equal(3, spec.Rounds);
        Assert.Equal(5UL, spec.Seed);
        Assert.Equal(TimeSpan.FromMilliseconds(250), spec.Policy.Latency);
        Assert.Equal(new TopologySpec(TopologyKind.WattsStrogatz, 6, 0.25, 0), spec.Topology);
        var config = (GuessTwoThirdsConfig)spec.Config;
        Assert.Equal(0.51, config.Ratio);
        Assert.Equal(5, config.Offset);
        Assert.Equal(5 + 0.51 * 20, config.TargetFor(20));
        Assert.Equal([1.0, 1.0], config.LevelWeights);
        Assert.Equal(GuessMessaging.Neighbours, config.Messaging);
    }

    [Fact]
    public void ASyntaxErrorNamesTheFileAndLine()
    {
        var error = Fails("scenario: guess-two-thirds\nagents: [1, 2\nrounds: 3\n");
        Assert.Equal(File, error.File);
        Assert.True(error.Line >= 2, $"line {error.Line}");
        Assert.StartsWith($"{File}:{error.Line}:", error.Message);
        Assert.Contains("not valid YAML", error.Message);
    }

    [Fact]
    public void HostingIsReadAndOverriddenAndAnUnknownOneIsNamed()
    {
        Assert.Equal(AgentHosting.Auto, ScenarioFile.Parse("scenario: guess-two-thirds\n", File).Hosting);
        Assert.Equal(AgentHosting.Grain, ScenarioFile.Parse("scenario: guess-two-thirds\nhosting: grain\n", File).Hosting);
        Assert.Equal(AgentHosting.Packed, ScenarioFile.Parse("scenario: guess-two-thirds\nhosting: grain\n", File, new RunOverrides(Hosting: "packed")).Hosting);
        Assert.Equal(AgentHosting.Packed, ScenarioFile.Parse("scenario: agentsnet\ntask: coloring\ngraph:\n  kind: ws\n  nodes: 8\nhosting: packed\n", File).Hosting);

        var error = Fails("scenario: guess-two-thirds\nagents: 10\nhosting: sideways\n");
        Assert.Equal(3, error.Line);
        Assert.Equal("hosting", error.Field);
        Assert.Contains("packed", error.Message);

        var flag = Fails("scenario: guess-two-thirds\n", new RunOverrides(Hosting: "sideways"));
        Assert.Equal("--hosting", flag.Field);
        Assert.Contains("sideways", flag.Message);
    }

    [Fact]
    public void AnUnknownFieldIsNamedWithItsLine()
    {
        var error = Fails("scenario: guess-two-thirds\nagents: 10\ngame:\n  max: 100\n  ratoi: 2/3\n");
        Assert.Equal(5, error.Line);
        Assert.Equal("game.ratoi", error.Field);
        Assert.Contains("unknown field", error.Message);
        Assert.Contains("ratio", error.Message);
    }

    [Theory]
    [InlineData("agents: 0", 2, "agents")]
    [InlineData("agents: -5", 2, "agents")]
    [InlineData("agents: many", 2, "agents")]
    [InlineData("rounds: 0", 2, "rounds")]
    [InlineData("game:\n  ratio: 3/2", 3, "game.ratio")]
    [InlineData("game:\n  ratio: 0", 3, "game.ratio")]
    [InlineData("game:\n  ratio: 1/0", 3, "game.ratio")]
    [InlineData("game:\n  max: 100\n  offset: 100", 4, "game.offset")]
    [InlineData("policy: oracle", 2, "policy")]
    [InlineData("policy:\n  name: gpt-9", 3, "policy.name")]
    [InlineData("policy:\n  latency: soon", 3, "policy.latency")]
    [InlineData("topology:\n  kind: ring\n  degree: 3", 3, "topology.kind")]
    [InlineData("topology:\n  kind: hypercube", 3, "topology.kind")]
    [InlineData("population:\n  levels: [0.5, -1]", 3, "population.levels")]
    [InlineData("population:\n  adaptive: 2", 3, "population.adaptive")]
    public void BadValuesAreNamedWithTheirLine(string body, int line, string field)
    {
        var error = Fails("scenario: guess-two-thirds\n" + body + "\n");
        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void ADuplicateFieldIsReportedWithItsLine()
    {
        var error = Fails("scenario: guess-two-thirds\nagents: 10\nagents: 20\n");
        Assert.Equal(3, error.Line);
        Assert.Contains("duplicate", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TagsAreRefusedSoAFileCannotNameATypeOrRunCode()
    {
        var error = Fails("scenario: guess-two-thirds\nagents: !!python/object:os.system 10\n");
        Assert.Equal(2, error.Line);
        Assert.Contains("tags", error.Message);
    }

    [Fact]
    public void AMissingOrUnknownScenarioIsExplained()
    {
        Assert.Contains("missing", Fails("agents: 10\n").Message);
        Assert.Contains("guess-two-thirds", Fails("scenario: chess\n").Message);
        Assert.Contains("empty", Fails(string.Empty).Message);
        Assert.Contains("mapping", Fails("- a\n- b\n").Message);
    }

    [Fact]
    public void BadOverridesNameTheOption()
    {
        var agents = Fails("scenario: guess-two-thirds\n", new RunOverrides(Agents: 0));
        Assert.Equal("--agents", agents.Field);
        var policy = Fails("scenario: guess-two-thirds\n", new RunOverrides(Policy: "oracle"));
        Assert.Equal("--policy", policy.Field);
        Assert.Contains("heuristic", policy.Message);
    }

    [Fact]
    public void AnEdgeListTopologyIsReadRelativeToTheScenarioFile()
    {
        var folder = Directory.CreateTempSubdirectory("agentswarm-").FullName;
        System.IO.File.WriteAllText(Path.Combine(folder, "edges.txt"), "0 1\n1 2\n2 3\n");
        var scenario = Path.Combine(folder, "s.yaml");
        System.IO.File.WriteAllText(scenario, "scenario: guess-two-thirds\nagents: 4\ntopology:\n  kind: edge-list\n  file: edges.txt\n");
        var spec = ScenarioFile.Load(scenario);
        Assert.Equal([0, 1, 1, 2, 2, 3], spec.Topology.Edges!);

        System.IO.File.WriteAllText(Path.Combine(folder, "edges.txt"), "0 1\n1 9\n");
        var error = Assert.Throws<ScenarioFileException>(() => ScenarioFile.Load(scenario));
        Assert.Equal("topology.kind", error.Field);
        Assert.Contains("agent 9", error.Message);
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>"Billion laughs": ten levels of ten aliases each, a few hundred bytes that expand to 10^10 nodes.</summary>
    private static string Laughs()
    {
        var lines = new List<string> { "scenario: guess-two-thirds", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++)
        {
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }

        return string.Join('\n', lines) + "\n";
    }

    [Fact]
    public async Task AFileWhoseAliasesExpandToBillionsOfNodesIsRefusedBeforeAnythingWalksThem()
    {
        var yaml = Laughs();
        Assert.True(yaml.Length < 800, "the attack is a small file");

        // Unbounded, this ran for minutes at full CPU; refused, it takes milliseconds (the bound is generous).
        var error = await Task.Run(() => Fails(yaml)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("too large to read", error.Message);
        Assert.Contains("expands to more than", error.Message);
        Assert.True(error.Line > 1, "the error points at the alias that crossed the bound");
    }

    [Fact]
    public void AFileNestedDeeperThanAnyScenarioIsRefusedAtTheLevelThatCrossesTheBound()
    {
        var yaml = "scenario: guess-two-thirds\ndeep: " + new string('[', 10_000) + new string(']', 10_000) + "\n";
        var error = Fails(yaml);
        Assert.Contains("nests deeper than 64 levels", error.Message);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void AnAliasOfAPlainValueStillReads()
    {
        var spec = ScenarioFile.Parse("scenario: guess-two-thirds\nagents: &n 40\nrounds: *n\n", File);
        Assert.Equal(40, spec.Agents);
        Assert.Equal(40, spec.Rounds);
    }

    [Fact]
    public void AnUnclosedFlowSequenceIsSaidInWordsNotAnInternalState()
    {
        var error = Fails("scenario: guess-two-thirds\nagents: [10, 20\n");
        Assert.Contains("not valid YAML", error.Message);
        Assert.DoesNotContain("current state of the object", error.Message);
    }

    [Fact]
    public void ReadingAFileStopsWhenItsCallerGivesUp()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => ScenarioFile.Parse("scenario: guess-two-thirds\nagents: 10\n", File, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void AScenarioFileLargerThanAnySettingsFileIsRefusedBeforeItIsRead()
    {
        var path = Path.Combine(Path.GetTempPath(), $"agentswarm-huge-{Guid.NewGuid():N}.yaml");
        try
        {
            using (var file = System.IO.File.Create(path))
            {
                file.SetLength(ScenarioFile.MaxFileBytes + 1);
            }

            var error = Assert.Throws<ScenarioFileException>(() => ScenarioFile.Load(path));
            Assert.Contains("a scenario file holds settings and is at most 16 MiB", error.Message);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void AnAliasInsideTheNodeItNamesIsRefusedAsACycle()
    {
        var error = Fails("scenario: guess-two-thirds\nloop: &x [1, *x]\n");
        Assert.Contains("refers to '&x' from inside it", error.Message);
        Assert.Equal(2, error.Line);
    }
}
