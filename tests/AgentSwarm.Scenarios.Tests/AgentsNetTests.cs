using AgentSwarm.Engine.Topology;
using AgentSwarm.Scenarios.AgentsNet;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.Tests;

public sealed class AgentsNetTests
{
        private static string InstanceFolder() =>
        AgentsNetGraphs.FindShippedInstances(AppContext.BaseDirectory)
        ?? throw new DirectoryNotFoundException($"scenarios/agentsnet not found above {AppContext.BaseDirectory}");

    // A path a - b - c - d plus a pendant e on b.
    private static AgentsNetGraph Small() => AgentsNetGraph.Create(
        Graph.FromEdges(5, [0, 1, 2, 1], [1, 2, 3, 4]),
        ["Ann", "Anna", "Bob", "Cy", "Di"],
        "test");

    [Fact]
    public void AllTwentySevenPublishedInstancesLoadWithTheirStatedDiameterAndDegree()
    {
        var files = Directory.GetFiles(InstanceFolder(), "graph_*.json");
        Assert.Equal(27, files.Length);
        foreach (var file in files)
        {
            var graph = NodeLinkFile.Read(file);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            Assert.Equal(json.RootElement.GetProperty("num_nodes").GetInt32(), graph.NodeCount);
            Assert.Equal(json.RootElement.GetProperty("diameter").GetInt32(), graph.Diameter);
            Assert.Equal(json.RootElement.GetProperty("max_degree").GetInt32(), graph.MaxDegree);
            Assert.Equal(graph.NodeCount, graph.Names.Distinct().Count());
        }
    }

    [Theory]
    [InlineData("{\"nodes\": [{\"id\": 0}, {\"id\": 1}], \"links\": [{\"source\": 0, \"target\": 7}]}", "links[0]", "dangling")]
    [InlineData("{\"nodes\": [{\"id\": 0, \"name\": \"Ann\"}, {\"id\": 1, \"name\": \"Ann\"}], \"links\": [{\"source\": 0, \"target\": 1}]}", "nodes[1]", "'Ann' is used by nodes 0 and 1")]
    [InlineData("{\"nodes\": [], \"links\": []}", "nodes", "no nodes")]
    [InlineData("{\"nodes\": [{\"id\": 0}, {\"id\": 0}], \"links\": []}", "nodes[1]", "id 0 is used")]
    [InlineData("{\"nodes\": [{\"id\": 0}, {\"id\": 1}, {\"id\": 2}], \"links\": [{\"source\": 0, \"target\": 1}]}", "links", "not connected")]
    [InlineData("{\"nodes\": [{\"id\": 0}], \"links\": [", "", "not valid JSON")]
    public void ABadGraphFileGetsAClearError(string json, string field, string problem)
    {
        var error = Assert.Throws<ScenarioFileException>(() => NodeLinkFile.Parse(json, "g.json"));
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message);
        Assert.StartsWith("g.json", error.Message);
    }

    [Fact]
    public void NodesWithoutNamesGetDistinctFirstNames()
    {
        var graph = NodeLinkFile.Parse("{\"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}], \"links\": [{\"source\": \"a\", \"target\": \"b\"}]}", "g.json");
        Assert.Equal(AgentNames.For(2), graph.Names);
        var many = AgentNames.For(450);
        Assert.Equal(450, many.Distinct().Count());
        Assert.Equal(AgentNames.FirstNames[0] + "2", many[200]);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("ba")]
    [InlineData("dt")]
    public void ExactDiameterEqualsABreadthFirstSearchFromEveryNode(string kind)
    {
        foreach (var n in new[] { 5, 40, 300 })
        {
            var graph = AgentsNetGraphs.Generate(kind, n, (ulong)n);
            Assert.True(AgentsNetGraphs.IsConnected(graph.Graph));
            Assert.Equal(NaiveDiameter(graph.Graph), graph.Diameter);
        }
    }

    [Fact]
    public void DiameterOfPathsCyclesAndStarsIsKnown()
    {
        Assert.Equal(9, Diameter.Exact(Graph.FromEdges(10, [.. Enumerable.Range(0, 9)], [.. Enumerable.Range(1, 9)])).Diameter);
        Assert.Equal(5, Diameter.Exact(TopologyBuilder.Ring(10, 2)).Diameter);
        Assert.Equal(2, Diameter.Exact(Graph.FromEdges(6, [0, 0, 0, 0, 0], [1, 2, 3, 4, 5])).Diameter);
    }

    [Fact]
    public void ExactDiameterOfAThousandNodeGraphEqualsTheNaiveOne()
    {
        var graph = AgentsNetGraphs.ConnectedWattsStrogatz(1000, 4, 0.4, 1);
        Assert.Equal(NaiveDiameter(graph), Diameter.Exact(graph).Diameter);
    }

    [Fact]
    public void ADiameterSearchOutOfBudgetGivesAProvenUpperBound()
    {
        var graph = AgentsNetGraphs.ConnectedWattsStrogatz(1000, 4, 0.4, 1);
        var exact = NaiveDiameter(graph);
        var (one, searches, settled) = Diameter.Bounded(graph, 1);
        Assert.False(settled);
        Assert.Equal(1, searches);
        Assert.InRange(one, exact + 1, 2 * exact);
        var (full, _, fullSettled) = Diameter.Bounded(graph, int.MaxValue);
        Assert.True(fullSettled);
        Assert.Equal(exact, full);
    }

    [Fact]
    public void DelaunayGraphsArePlanarTriangulations()
    {
        var graph = AgentsNetGraphs.Generate("dt", 1000, 4);
        Assert.InRange(graph.Graph.EdgeCount, 2 * 1000, 3 * 1000 - 6);
    }

    [Fact]
    public void RoundsFollowTheReferenceRule()
    {
        var small = Small();
        Assert.Equal(2 * small.Diameter + 1, AgentsNetRules.Rounds(AgentsNetTask.Consensus, small));
        Assert.Equal(4, AgentsNetRules.Rounds(AgentsNetTask.Coloring, AgentsNetGraph.Create(TopologyBuilder.Ring(4, 2), AgentNames.For(4), "r")));
        Assert.Equal(6, AgentsNetRules.Rounds(AgentsNetTask.Matching, AgentsNetGraph.Create(TopologyBuilder.Ring(16, 2), AgentNames.For(16), "r")));
        var big = AgentsNetGraph.Create(TopologyBuilder.Ring(20, 2), AgentNames.For(20), "r");
        Assert.Equal(21, AgentsNetRules.Rounds(AgentsNetTask.Matching, big, configured: 5));
    }

    [Fact]
    public void TheParserIsExact()
    {
        var colours = Enumerable.Range(1, 10).Select(k => $"Group {k}").ToArray();
        Assert.Equal("Group 10", AgentsNetRules.ParseAnswer("thinking...\n### Final Answer ### Group 10", colours));
        Assert.Equal("Group 1", AgentsNetRules.ParseAnswer("### Final Answer ### **Group 1**.", colours));
        Assert.Null(AgentsNetRules.ParseAnswer("### Final Answer ### Group 11", colours));
        Assert.Equal("Anna", AgentsNetRules.ParseAnswer("### Final Answer ### Anna", ["Ann", "Anna", "None"]));
        Assert.Equal("yes", AgentsNetRules.ParseAnswer("### Final Answer ### YES", ["Yes", "No"])?.ToLowerInvariant());
        Assert.Null(AgentsNetRules.ParseAnswer("I think Yes", ["Yes", "No"]));
        Assert.Equal("No", AgentsNetRules.ParseAnswer("### Final Answer ### Yes\nwait\n### Final Answer ### No", ["Yes", "No"]));
    }

    [Fact]
    public void ConsensusAndLeaderElectionScores()
    {
        var g = Small();
        Assert.True(AgentsNetRules.Score(AgentsNetTask.Consensus, g, ["1", "1", "1", "1", "1"]).Solved);
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.Consensus, g, ["1", "1", "0", "1", "1"]).Score);
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.Consensus, g, ["1", "1", null, "1", "1"]).Score);
        Assert.True(AgentsNetRules.Score(AgentsNetTask.LeaderElection, g, ["No", "Yes", "No", "No", "No"]).Solved);
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.LeaderElection, g, ["Yes", "Yes", "No", "No", "No"]).Score);
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.LeaderElection, g, ["No", "No", "No", "No", "No"]).Score);
    }

    [Fact]
    public void MatchingScoresCountInconsistentNodes()
    {
        var g = Small(); // Ann-Anna, Anna-Bob, Bob-Cy, Anna-Di
        Assert.True(AgentsNetRules.Score(AgentsNetTask.Matching, g, ["Anna", "Ann", "Cy", "Bob", "None"]).Solved);

        // Di says None while... its only neighbour Anna is matched: consistent. Ann names Bob, not a neighbour: inconsistent;
        // Anna names Ann, who does not name her back: inconsistent.
        Assert.Equal(3.0 / 5, AgentsNetRules.Score(AgentsNetTask.Matching, g, ["Bob", "Ann", "Cy", "Bob", "None"]).Score, 12);

        // Two adjacent None (Bob and Cy) are both inconsistent: they could have matched each other.
        Assert.Equal(3.0 / 5, AgentsNetRules.Score(AgentsNetTask.Matching, g, ["Anna", "Ann", "None", "None", "None"]).Score, 12);
    }

    [Fact]
    public void ColouringNeedsValidGroupsAndScoresProperEdges()
    {
        var g = Small(); // max degree 3: Group 1..4
        Assert.True(AgentsNetRules.Score(AgentsNetTask.Coloring, g, ["Group 1", "Group 2", "Group 1", "Group 2", "Group 1"]).Solved);
        Assert.Equal(3.0 / 4, AgentsNetRules.Score(AgentsNetTask.Coloring, g, ["Group 1", "Group 2", "Group 2", "Group 1", "Group 1"]).Score, 12);
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.Coloring, g, ["Group 1", "Group 2", "Group 1", "Group 2", "Group 5"]).Score);
    }

    [Fact]
    public void VertexCoverMultipliesCoverageByMinimality()
    {
        var g = Small();
        Assert.True(AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["No", "Yes", "Yes", "No", "No"]).Solved);

        // Everyone in the cover: every edge covered, but no node is needed.
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["Yes", "Yes", "Yes", "Yes", "Yes"]).Score);

        // Nobody says Yes: 0 (the reference divides by zero).
        Assert.Equal(0, AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["No", "No", "No", "No", "No"]).Score);

        // Only Anna: 3 of 4 edges covered, and she is needed.
        Assert.Equal(3.0 / 4, AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["No", "Yes", "No", "No", "No"]).Score, 12);
    }

    [Fact]
    public void AnIncompleteCoverCountsEveryYesNodeAsNeededAsTheReferenceDoes()
    {
        var g = Small(); // edges Ann-Anna, Anna-Bob, Bob-Cy, Anna-Di

        // Ann and Anna: Bob-Cy uncovered (3 of 4). Ann's only neighbour is in the cover, but saying No would still leave
        // the cover incomplete, so both count: 3/4 x 2/2 (counting only nodes with a neighbour outside gave 3/4 x 1/2).
        Assert.Equal(3.0 / 4, AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["Yes", "Yes", "No", "No", "No"]).Score, 12);

        // Bob and Cy: Ann-Anna and Anna-Di uncovered (2 of 4); both count although Cy's only neighbour is Bob.
        Assert.Equal(2.0 / 4, AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["No", "No", "Yes", "Yes", "No"]).Score, 12);

        // Complete covers keep the minimality rule: Ann, Anna, Bob cover everything; Ann is not needed (Anna covers
        // Ann-Anna), Anna is (Anna-Di), Bob is (Bob-Cy): 1 x 2/3.
        Assert.Equal(2.0 / 3, AgentsNetRules.Score(AgentsNetTask.VertexCover, g, ["Yes", "Yes", "Yes", "No", "No"]).Score, 12);
    }

    private static int NaiveDiameter(Graph graph)
    {
        var best = 0;
        for (var s = 0; s < graph.NodeCount; s++)
        {
            var distance = Enumerable.Repeat(-1, graph.NodeCount).ToArray();
            var queue = new Queue<int>([s]);
            distance[s] = 0;
            while (queue.Count > 0)
            {
                var v = queue.Dequeue();
                foreach (var w in graph.Neighbours(v))
                {
                    if (distance[w] < 0)
                    {
                        distance[w] = distance[v] + 1;
                        best = Math.Max(best, distance[w]);
                        queue.Enqueue(w);
                    }
                }
            }
        }

        return best;
    }
}

public sealed class AgentsNetScenarioFileTests
{
    private static string ScenarioFolder() =>
        Path.GetDirectoryName(AgentsNetGraphs.FindShippedInstances(AppContext.BaseDirectory)
            ?? throw new DirectoryNotFoundException("scenarios/agentsnet not found"))!;

    [Fact]
    public void TheShippedAgentsNetScenarioRunsAPublishedInstance()
    {
        var spec = ScenarioFile.Load(Path.Combine(ScenarioFolder(), "agentsnet-coloring.yaml"));
        var config = Assert.IsType<AgentsNetConfig>(spec.Config);
        var graph = NodeLinkFile.Read(Path.Combine(ScenarioFolder(), "agentsnet", "graph_dt_16_0.json"));
        Assert.Equal(AgentsNetScenario.ScenarioName, spec.Scenario);
        Assert.Equal(AgentsNetTask.Coloring, config.Task);
        Assert.Equal(graph.NodeCount, spec.Agents);
        Assert.Equal(graph.Names, config.Names);
        Assert.Equal(AgentsNetRules.Rounds(AgentsNetTask.Coloring, graph), config.MessageRounds);
        Assert.Equal(graph.Graph.Targets, config.Graph().Graph.Targets);
    }

    [Fact]
    public void AGeneratedGraphTakesItsSizeFromTheFile()
    {
        var spec = ScenarioFile.Parse("scenario: agentsnet\ntask: leader_election\ngraph: {kind: ba, nodes: 40}\n", "a.yaml", new RunOverrides(Seed: 3));
        var config = (AgentsNetConfig)spec.Config;
        Assert.Equal(40, spec.Agents);
        Assert.Equal(2 * config.Diameter + 2, spec.Rounds);
        Assert.Equal(3UL, spec.Seed);
    }

    [Theory]
    [InlineData("scenario: agentsnet\ngraph: {kind: ws, nodes: 10}\n", "task", "missing")]
    [InlineData("scenario: agentsnet\ntask: coloring\n", "graph", "missing")]
    [InlineData("scenario: agentsnet\ntask: coloring\nagents: 10\ngraph: {kind: ws, nodes: 10}\n", "agents", "unknown field")]
    [InlineData("scenario: agentsnet\ntask: coloring\ngraph: {kind: hex, nodes: 10}\n", "graph.kind", "unknown value")]
    [InlineData("scenario: agentsnet\ntask: coloring\ngraph: {file: nope.json}\n", "graph.file", "not found")]
    public void BadAgentsNetFilesNameTheField(string yaml, string field, string problem)
    {
        var error = Assert.Throws<ScenarioFileException>(() => ScenarioFile.Parse(yaml, "a.yaml"));
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void AgentsAndRoundsOptionsAreRefusedForAgentsNet()
    {
        const string yaml = "scenario: agentsnet\ntask: coloring\ngraph: {kind: ws, nodes: 10}\n";
        Assert.Equal("--agents", Assert.Throws<ScenarioFileException>(() => ScenarioFile.Parse(yaml, "a.yaml", new RunOverrides(Agents: 5))).Field);
        Assert.Equal("--rounds", Assert.Throws<ScenarioFileException>(() => ScenarioFile.Parse(yaml, "a.yaml", new RunOverrides(Rounds: 5))).Field);
    }
}
