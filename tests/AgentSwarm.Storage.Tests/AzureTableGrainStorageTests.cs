using AgentSwarm.Testing;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace AgentSwarm.Storage.Tests;

/// <summary>
/// A real Azurite and a silo with Azure Table providers on it: "store", registered in code; "fromconfig", registered
/// only by configuration (ProviderType=AzureTableStorage, ConnectionName resolved from ConnectionStrings); and
/// "unused", which nothing writes through.
/// </summary>
public sealed class AzuriteStorageFixture : StorageFixture
{
    public const string ConfiguredName = "fromconfig";
    public const string ConfiguredTable = "ConfiguredGrainState";
    public const string UnusedTable = "CreatedAtSiloStart";

    public AzuriteServer Azurite { get; private set; } = null!;

    public TableClient Table(string name = AzureTableGrainStorageOptions.DefaultTableName) =>
        new TableServiceClient(Azurite.ConnectionString).GetTableClient(name);

    protected override async Task StartServerAsync() => Azurite = await AzuriteServer.StartAsync();

    protected override async Task StopServerAsync()
    {
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }
    }

    protected override void ConfigureHost(IHostApplicationBuilder host) =>
        host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:azurite"] = Azurite.ConnectionString,
            [$"Orleans:GrainStorage:{ConfiguredName}:ProviderType"] = "AzureTableStorage",
            [$"Orleans:GrainStorage:{ConfiguredName}:ConnectionName"] = "azurite",
            [$"Orleans:GrainStorage:{ConfiguredName}:TableName"] = ConfiguredTable,
        });

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.AddAzureTableGrainStorage(StoreName, options => options.ConnectionString = Azurite.ConnectionString);

        // No test writes through this one: its table exists only if the provider created it as the silo started.
        silo.AddAzureTableGrainStorage("unused", options =>
        {
            options.ConnectionString = Azurite.ConnectionString;
            options.TableName = UnusedTable;
        });
    }
}

/// <summary>The grain storage contract and the Azure Table provider's own promises, against a real Azurite.</summary>
[Trait("Category", "Server")]
public sealed class AzureTableGrainStorageTests(AzuriteStorageFixture fixture) : GrainStorageContractTests(fixture), IClassFixture<AzuriteStorageFixture>
{
    private const int Megabyte = 1_000_000;

    private AzuriteStorageFixture Emulator => (AzuriteStorageFixture)Fixture;

    [Fact]
    public async Task ThreeMegabytesOfRandomBytesRoundTripThroughSeveralRows()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var written = new GrainState<CheckpointState>(Checkpoint(3, payloadBytes: 3 * Megabyte));

        await storage.WriteStateAsync(StateName, id, written);
        var read = await ReadAsync(storage, id);

        AssertSame(written.State, read.State);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(5, (await RowKeysAsync(id)).Count); // 3 MB in rows of 704 KiB
    }

    [Fact]
    public async Task ShrinkingAStateDeletesTheRowsItNoLongerNeeds()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var state = new GrainState<CheckpointState>(Checkpoint(1, payloadBytes: 2 * Megabyte));
        await storage.WriteStateAsync(StateName, id, state);
        Assert.Equal(3, (await RowKeysAsync(id)).Count);

        state.State = Checkpoint(2);
        await storage.WriteStateAsync(StateName, id, state);

        Assert.Single(await RowKeysAsync(id));
        AssertSame(Checkpoint(2), (await ReadAsync(storage, id)).State);
    }

    [Fact]
    public async Task ClearingAMultiRowStateDeletesEveryRow()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var state = new GrainState<CheckpointState>(Checkpoint(1, payloadBytes: 2 * Megabyte));
        await storage.WriteStateAsync(StateName, id, state);

        await storage.ClearStateAsync(StateName, id, state);

        Assert.Null(state.ETag);
        Assert.Empty(await RowKeysAsync(id));
        Assert.False((await ReadAsync(storage, id)).RecordExists);
    }

    [Fact]
    public async Task AStateJustUnderTheLimitFitsInOneTransaction()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var written = new GrainState<CheckpointState>(Checkpoint(4, payloadBytes: GrainStateRows.MaxStoredBytes - 64));

        await storage.WriteStateAsync(StateName, id, written);

        AssertSame(written.State, (await ReadAsync(storage, id)).State);
    }

    [Fact]
    public async Task StateTooLargeForOneTransactionFailsNamingTheGrainTheSizeAndTheLimit()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var state = new GrainState<CheckpointState>(Checkpoint(1, payloadBytes: 3_500_000));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => storage.WriteStateAsync(StateName, id, state));

        Assert.Contains(id.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("35000", error.Message, StringComparison.Ordinal);
        Assert.Contains(GrainStateRows.MaxStoredBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Empty(await RowKeysAsync(id));
    }

    [Fact]
    public async Task AGrainSavingATooLargeCheckpointSeesTheLimitInItsError()
    {
        var grain = Fixture.Client.GetGrain<ICheckpointGrain>("too-large-" + Guid.NewGuid().ToString("N"));
        var payload = new byte[3_500_000];
        new Random(5).NextBytes(payload);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => grain.SaveAsync(1, "too large", payload));

        Assert.Contains("over the limit", error.ToString(), StringComparison.Ordinal);
        Assert.False(await grain.ExistsAsync());
    }

    [Fact]
    public async Task ACompressibleStateBeyondOneTransactionFitsAfterLz4()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var text = string.Concat(Enumerable.Range(0, 300_000).Select(i => $"agent {i % 1000} says hello to agent {(i * 7) % 1000}; "));
        var state = new GrainState<CheckpointState>(new CheckpointState { Round = 9, Note = text, Payload = new byte[2 * Megabyte] });

        await storage.WriteStateAsync(StateName, id, state);

        Assert.True(text.Length > 8 * Megabyte);
        AssertSame(state.State, (await ReadAsync(storage, id)).State);
        Assert.Single(await RowKeysAsync(id));
    }

    [Fact]
    public async Task GrainKeysWithCharactersTableKeysForbidRoundTripWithoutColliding()
    {
        var storage = Fixture.Storage();
        var awkward = GrainId.Create("checkpoint", "run/7#part?3|a%2F\\b\u0001");
        var similar = GrainId.Create("checkpoint", "run%2F7");
        var first = new GrainState<CheckpointState>(Checkpoint(1));
        var second = new GrainState<CheckpointState>(Checkpoint(2));

        await storage.WriteStateAsync(StateName, awkward, first);
        await storage.WriteStateAsync(StateName, similar, second);

        AssertSame(first.State, (await ReadAsync(storage, awkward)).State);
        AssertSame(second.State, (await ReadAsync(storage, similar)).State);
    }

    [Fact]
    public async Task AGrainKeyTooLongForATableKeyFailsNamingTheLimit()
    {
        var id = GrainId.Create("checkpoint", new string('k', 600));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => Fixture.Storage().WriteStateAsync(StateName, id, new GrainState<CheckpointState>(Checkpoint(1))));

        Assert.Contains("512 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WritingANewStateWhereOneAlreadyExistsThrowsInconsistentStateException()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        await storage.WriteStateAsync(StateName, id, new GrainState<CheckpointState>(Checkpoint(1)));

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, id, new GrainState<CheckpointState>(Checkpoint(2))));
    }

    [Fact]
    public async Task ProviderTypeAzureTableStorageInConfigurationRegistersTheProvider()
    {
        var storage = Fixture.Storage(AzuriteStorageFixture.ConfiguredName);
        var id = NewGrainId();
        var written = new GrainState<CheckpointState>(Checkpoint(5));

        await storage.WriteStateAsync(StateName, id, written);

        AssertSame(written.State, (await ReadAsync(storage, id)).State);
        Assert.Single(await RowKeysAsync(id, AzuriteStorageFixture.ConfiguredTable));
        Assert.Empty(await RowKeysAsync(id));
    }

    [Fact]
    public async Task TheTableIsCreatedWhenTheSiloStarts()
    {
        var tables = new List<string>();
        await foreach (var table in new TableServiceClient(Emulator.Azurite.ConnectionString).QueryAsync(TableClient.CreateQueryFilter($"TableName eq {AzuriteStorageFixture.UnusedTable}")))
        {
            tables.Add(table.Name);
        }

        Assert.Equal([AzuriteStorageFixture.UnusedTable], tables);
    }

    [Fact]
    public async Task ContinuationRowsOfAnotherWriteAreNeverStitchedIntoTheState()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        await storage.WriteStateAsync(StateName, id, new GrainState<CheckpointState>(Checkpoint(1, payloadBytes: 2 * Megabyte)));
        var rowKeys = await RowKeysAsync(id);
        var (partitionKey, _) = GrainStateRows.Keys(Fixture.Cluster.Options.ServiceId, id.Type.ToString()!, id.Key.ToString()!, StateName);

        // What a reader would see halfway through another activation's write, if writes were not atomic.
        var continuation = new TableEntity(partitionKey, rowKeys.Single(key => key.EndsWith("|1", StringComparison.Ordinal)))
        {
            [GrainStateRows.VersionProperty] = "another-write",
        };
        await Emulator.Table().UpdateEntityAsync(continuation, ETag.All, TableUpdateMode.Merge);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => ReadAsync(storage, id));
        Assert.Contains("kept changing", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The row keys the grain's state occupies: its head row and its continuation rows.</summary>
    private async Task<List<string>> RowKeysAsync(GrainId id, string table = AzureTableGrainStorageOptions.DefaultTableName)
    {
        var (partitionKey, rowKey) = GrainStateRows.Keys(Fixture.Cluster.Options.ServiceId, id.Type.ToString()!, id.Key.ToString()!, StateName);
        var keys = new List<string>();
        await foreach (var row in Emulator.Table(table).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"), select: ["RowKey"]))
        {
            if (row.RowKey == rowKey || row.RowKey.StartsWith(rowKey + "|", StringComparison.Ordinal))
            {
                keys.Add(row.RowKey);
            }
        }

        return keys;
    }
}
