using AgentSwarm.Testing;
using StackExchange.Redis;

namespace AgentSwarm.Storage.Tests;

/// <summary>A real redis-server and a silo whose "store" is Microsoft.Orleans.Persistence.Redis on it.</summary>
public sealed class RedisStorageFixture : StorageFixture
{
    private RedisServer? _redis;

    protected override async Task StartServerAsync() => _redis = await RedisServer.StartAsync();

    protected override async Task StopServerAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    protected override void ConfigureSilo(ISiloBuilder silo) =>
        silo.AddRedisGrainStorage(StoreName, options => options.ConfigurationOptions = ConfigurationOptions.Parse(_redis!.Address));
}

/// <summary>The grain storage contract, through the Redis provider against a real redis-server.</summary>
[Trait("Category", "Server")]
public sealed class RedisGrainStorageTests(RedisStorageFixture fixture) : GrainStorageContractTests(fixture), IClassFixture<RedisStorageFixture>;
