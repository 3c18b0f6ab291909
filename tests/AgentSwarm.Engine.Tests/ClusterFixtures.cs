using AgentSwarm.Engine;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.TestingHost;

namespace AgentSwarm.Engine.Tests;

/// <summary>An in-process Orleans cluster with the engine, the built-in scenarios and the test probe scenario.</summary>
public abstract class ClusterFixture(short silos) : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(EngineOptions.StorageName);
            silo.AddAgentSwarmEngine();
            silo.AddAgentSwarmScenarios();
            silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IScenario, ProbeScenario>());
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Runs a spec to its end (bounded wait) and returns its final status and rounds.</summary>
    public async Task<(SimulationStatus Status, RoundResult[] Rounds)> RunAsync(RunSpec spec, TimeSpan? limit = null)
    {
        var runId = "test-" + Guid.NewGuid().ToString("N")[..12];
        var simulation = Client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(spec);
        var status = await WaitAsync(simulation, s => s.State is not (SimulationState.Running or SimulationState.Pending), limit ?? TimeSpan.FromMinutes(2));
        Assert.True(status.State != SimulationState.Failed, $"run {runId} failed: {status.Error}");
        return (status, await simulation.GetRoundsAsync(1));
    }

    /// <summary>Polls the controller until the condition holds; fails the test past the limit.</summary>
    public static async Task<SimulationStatus> WaitAsync(ISimulationGrain simulation, Func<SimulationStatus, bool> condition, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        while (true)
        {
            var status = await simulation.GetStatusAsync();
            if (condition(status))
            {
                return status;
            }

            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"run {status.RunId} still {status.State} at round {status.CurrentRound} after {limit}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }
}

public sealed class OneSiloFixture() : ClusterFixture(1)
{
    /// <summary>A one-silo cluster of its own for the length of <paramref name="body"/> (to compare with a shared fixture's).</summary>
    public static async Task UseAsync(Func<OneSiloFixture, Task> body)
    {
        var one = new OneSiloFixture();
        await one.InitializeAsync();
        try
        {
            await body(one);
        }
        finally
        {
            await one.DisposeAsync();
        }
    }
}

public sealed class ThreeSiloFixture() : ClusterFixture(3);

[CollectionDefinition(Name)]
public sealed class OneSiloCollection : ICollectionFixture<OneSiloFixture>
{
    public const string Name = "one silo";
}

[CollectionDefinition(Name)]
public sealed class ThreeSiloCollection : ICollectionFixture<ThreeSiloFixture>
{
    public const string Name = "three silos";
}
