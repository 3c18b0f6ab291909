using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Scenarios;
using Orleans.TestingHost;

namespace AgentSwarm.Inference.Tests;

/// <summary>A three-silo cluster where only one silo has the inference role: every inference grain must land there.</summary>
public sealed class InferencePlacementTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;
    private string? _inferenceSilo;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            // Only the silo named last gets the inference role; the others host agents only.
            var inference = options.SiloName.EndsWith('2');
            if (inference)
            {
                _inferenceSilo = options.SiloName;
            }

            silo.AddMemoryGrainStorage(EngineOptions.StorageName);
            silo.AddAgentSwarmEngine();
            silo.AddAgentSwarmScenarios();
            silo.AddAgentSwarmInference(inferenceRole: inference);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task InferenceGrainsArePlacedOnlyOnSilosWithTheInferenceRole()
    {
        Assert.NotNull(_inferenceSilo);
        var expected = _cluster.Silos.Single(s => s.Name == _inferenceSilo).SiloAddress.ToString();
        var spec = new LlmSpec(["simulated=test-tiny?clock=virtual"], 0.7, 16);
        for (var shard = 0; shard < 12; shard++)
        {
            var runId = $"placement-{shard}";
            var grain = _cluster.Client.GetGrain<IInferenceGrain>($"{runId}#{shard}");
            var responses = await grain.CompleteAsync(runId, spec, [new LlmRequest([new LlmMessage(LlmRole.User, "hello")], 0.7, 16)]);
            Assert.True(responses[0].Ok, responses[0].Error);
            var stats = await grain.GetStatsAsync(runId);
            Assert.Equal(expected, stats!.Silo);
        }
    }
}
