using AgentSwarm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Storage.Tests;

/// <summary>Bad settings stop the silo at start with a message naming the setting; nothing here needs a server.</summary>
public sealed class AzureTableGrainStorageOptionsTests
{
    [Fact]
    public async Task AnEmptyConnectionStringStopsTheSiloWithAMessageNamingTheSetting()
    {
        using var host = SiloHost(silo => silo.AddAzureTableGrainStorage("checkpoints", options => options.ConnectionString = " "));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Orleans:GrainStorage:checkpoints:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionNameWithoutAConnectionStringStopsTheSiloWithAMessageNamingTheSetting()
    {
        using var host = SiloHost(_ => { }, new Dictionary<string, string?>
        {
            ["Orleans:GrainStorage:agentswarm:ProviderType"] = "AzureTableStorage",
            ["Orleans:GrainStorage:agentswarm:ConnectionName"] = "missing",
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Orleans:GrainStorage:agentswarm:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedConnectionStringOrTableNameIsRefusedNamingTheSetting()
    {
        var validator = new AzureTableGrainStorageOptionsValidator();

        var result = validator.Validate("store", new AzureTableGrainStorageOptions { ConnectionString = "not a connection string", TableName = "grain_state" });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, failure => failure.Contains("ConnectionString", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, failure => failure.Contains("TableName 'grain_state'", StringComparison.Ordinal));
    }

    [Fact]
    public void AzuritesConnectionStringAndTheDefaultTableNamePass()
    {
        var options = new AzureTableGrainStorageOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={AzuriteServer.AccountName};AccountKey={AzuriteServer.AccountKey};TableEndpoint=http://127.0.0.1:10002/{AzuriteServer.AccountName};",
        };

        Assert.True(new AzureTableGrainStorageOptionsValidator().Validate("store", options).Succeeded);
        Assert.Equal("AgentSwarmGrainState", options.TableName);
    }

    private static IHost SiloHost(Action<ISiloBuilder> configure, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: RedisServer.FreePort(), gatewayPort: RedisServer.FreePort());
            configure(silo);
        });
        return builder.Build();
    }
}
