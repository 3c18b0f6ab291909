using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace AgentSwarm.Storage.Tests;

/// <summary>
/// A real storage server and a one-silo in-process cluster whose grain storage "store" lives on it. Tests reach the
/// provider the way grains do (through <see cref="ICheckpointGrain"/>) or directly, as the keyed
/// <see cref="IGrainStorage"/> in the started silo's services.
/// </summary>
public abstract class StorageFixture : IAsyncLifetime
{
    public const string StoreName = "store";

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public IServiceProvider SiloServices => Cluster.Silos[0].ServiceProvider;

    public IGrainStorage Storage(string name = StoreName) => SiloServices.GetRequiredKeyedService<IGrainStorage>(name);

    public async Task InitializeAsync()
    {
        await StartServerAsync();
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;

        // Before any silo configuration: Orleans reads Orleans:* configuration when UseOrleans first runs.
        builder.ConfigureSiloHost((_, host) => ConfigureHost(host));
        builder.ConfigureSilo((_, silo) => ConfigureSilo(silo));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }

        await StopServerAsync();
    }

    protected abstract Task StartServerAsync();

    protected abstract Task StopServerAsync();

    protected virtual void ConfigureHost(IHostApplicationBuilder host)
    {
    }

    protected abstract void ConfigureSilo(ISiloBuilder silo);
}
