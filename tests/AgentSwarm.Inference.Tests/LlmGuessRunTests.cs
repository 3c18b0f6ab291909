using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Orleans.TestingHost;
using static AgentSwarm.Inference.Tests.PoolTestKit;

namespace AgentSwarm.Inference.Tests;

/// <summary>An in-process cluster with the engine, the scenarios and the inference pool, as the embedded silo has.</summary>
public sealed class InferenceClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(EngineOptions.StorageName);
            silo.AddAgentSwarmEngine();
            silo.AddAgentSwarmScenarios();
            silo.AddAgentSwarmInference(configure: o =>
            {
                o.BackoffBase = TimeSpan.FromMilliseconds(1);
                o.BackoffMax = TimeSpan.FromMilliseconds(5);
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    public async Task<(SimulationStatus Status, RoundResult[] Rounds, LlmRunStats? Llm)> RunAsync(RunSpec spec, string? runId = null)
    {
        runId ??= "llm-" + Guid.NewGuid().ToString("N")[..12];
        var simulation = Cluster.Client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(spec);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        SimulationStatus status;
        while ((status = await simulation.GetStatusAsync()).State is SimulationState.Running or SimulationState.Pending)
        {
            await Task.Delay(20, limit.Token);
        }

        // The controller releases the pool's per-run state at the end and keeps the final counters in its record.
        var stats = (await simulation.GetInfoAsync())!.Llm;
        return (status, await simulation.GetRoundsAsync(1), stats);
    }
}

public sealed class LlmGuessRunTests(InferenceClusterFixture fixture) : IClassFixture<InferenceClusterFixture>
{
    private static GuessTwoThirdsConfig Config() => GuessTwoThirdsConfig.Default with
    {
        Llm = GuessLlmConfig.Default with
        {
            Personas = new GuessPersonas("You are {age} and work as {job}.", ["age", "job"], [["20", "40", "60"], ["a cook", "a pilot"]], [[1, 1, 1], [1, 3]]),
        },
    };

    private static RunSpec Spec(int agents, int rounds, params string[] endpoints) => new(
        GuessTwoThirdsScenario.ScenarioName,
        agents,
        rounds,
        Seed: 11,
        new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(endpoints, 0.7, 64, 2, TimeSpan.FromSeconds(30))),
        Partitions: 4,
        TopologySpec.None,
        Config());

    [Fact]
    public async Task AThousandAgentLlmRunOnTheSimulatedBackendGivesTheStatisticsOfASingleThreadedReference()
    {
        var spec = Spec(1000, 3, "simulated=test-tiny?clock=virtual&malformed=0.05&seed=3", "simulated=test-tiny?clock=virtual&malformed=0.05&seed=3&slots=16");
        var (status, rounds, llm) = await fixture.RunAsync(spec);

        Assert.Equal(SimulationState.Completed, status.State);
        var reference = await ReferenceAsync(spec);
        Assert.Equal(reference.Length, rounds.Length);
        for (var r = 0; r < rounds.Length; r++)
        {
            Assert.Equal(JsonSerializer.Serialize(reference[r]), JsonSerializer.Serialize((GuessRoundStats)rounds[r].Stats));
        }

        var first = (GuessRoundStats)rounds[0].Stats;
        Assert.Equal(1000, first.Count + first.Invalid);
        Assert.InRange(first.Invalid, 20, 200); // 5% of answers and of extractions are malformed
        Assert.InRange(first.Mean, 40, 60);      // told to answer directly, the model centres near the middle
        Assert.True(((GuessRoundStats)rounds[^1].Stats).Mean < first.Mean / 2, "means should fall round by round");
        Assert.NotNull(llm);
        Assert.Equal(0, llm.Total.Failed);
        Assert.Equal(2 * 3 * 1000, llm.Total.Requests); // an answer call and an extraction call per agent and round
        Assert.True(llm.Total.CacheHits + llm.Total.Deduplicated > 0, "equal extraction calls at temperature 0 should be served once");
        Assert.Equal(llm.Total.Completed, llm.Endpoints.Sum(e => e.Completed));
    }

    [Fact]
    public async Task AnUnreachableServerFailsCallsButNeverTheRun()
    {
        var spec = Spec(50, 2, "openai=http://127.0.0.1:9/v1/m");
        var (status, rounds, llm) = await fixture.RunAsync(spec);

        Assert.Equal(SimulationState.Completed, status.State);
        Assert.All(rounds, r => Assert.Equal(50, ((GuessRoundStats)r.Stats).Invalid));
        Assert.Equal(100, llm!.Total.Failed);
        Assert.Contains(llm.Endpoints, e => e.Failed > 0);
    }

    /// <summary>The same run, one agent at a time, straight against a pool: no grains, no partitions, no batching.</summary>
    private static async Task<GuessRoundStats[]> ReferenceAsync(RunSpec spec)
    {
        var scenario = new GuessTwoThirdsScenario();
        using var pool = Pool();
        var client = new DirectClient(pool, Run(), spec.Policy.Llm!);
        var setup = new RoundContext("reference", 0, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds);
        var minds = Enumerable.Range(0, spec.Agents).Select(i => (ILlmAgentMind)scenario.CreateMind(setup, i)).ToArray();
        ScenarioBroadcast? broadcast = null;
        var stats = new List<GuessRoundStats>();
        for (var round = 1; round <= spec.Rounds; round++)
        {
            var context = new RoundContext("reference", round, spec.Seed, spec.Scenario, spec.Config, spec.Policy, broadcast, spec.Agents, spec.Rounds);
            var actions = new AgentAction[spec.Agents];
            for (var i = 0; i < spec.Agents; i++)
            {
                var turn = new AgentTurn(i, context, [], []);
                var decision = await minds[i].DecideWithLlmAsync(turn, client, CancellationToken.None);
                minds[i].Remember(turn, decision);
                actions[i] = decision.Action;
            }

            var merged = (GuessRoundStats)scenario.Merge(context, [scenario.Reduce(context, 0, actions)]);
            stats.Add(merged);
            broadcast = scenario.NextBroadcast(context, merged);
        }

        return [.. stats];
    }

    private sealed class DirectClient(InferencePool pool, string runId, LlmSpec spec) : ILlmClient
    {
        public async ValueTask<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken) =>
            await pool.CompleteAsync(runId, spec, request, cancellationToken);
    }
}
