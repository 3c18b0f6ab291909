using Orleans.Storage;

namespace AgentSwarm.Storage.Tests;

/// <summary>
/// What every grain storage provider the engine runs on must do: read back what was written, refuse a write or clear
/// that carries a stale ETag with <see cref="InconsistentStateException"/> (the contract grains rely on to notice a
/// second activation), and clear. Each provider's test class runs these against its real server.
/// </summary>
public abstract class GrainStorageContractTests(StorageFixture fixture)
{
    protected StorageFixture Fixture { get; } = fixture;

    protected const string StateName = "checkpoint";

    protected static GrainId NewGrainId() => GrainId.Create("checkpoint", Guid.NewGuid().ToString("N"));

    protected static CheckpointState Checkpoint(int round, int payloadBytes = 64)
    {
        var payload = new byte[payloadBytes];
        new Random(round).NextBytes(payload);
        return new CheckpointState { Round = round, Note = $"round {round}", Payload = payload };
    }

    protected static void AssertSame(CheckpointState? expected, CheckpointState? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Round, actual.Round);
        Assert.Equal(expected.Note, actual.Note);
        Assert.Equal(expected.Payload, actual.Payload);
    }

    protected static async Task<GrainState<CheckpointState>> ReadAsync(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<CheckpointState>(new CheckpointState());
        await storage.ReadStateAsync(StateName, id, state);
        return state;
    }

    [Fact]
    public async Task WrittenStateReadsBackEqual()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var written = new GrainState<CheckpointState>(Checkpoint(7));

        await storage.WriteStateAsync(StateName, id, written);
        var read = await ReadAsync(storage, id);

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        AssertSame(written.State, read.State);
    }

    [Fact]
    public async Task StateNeverWrittenReadsAsNoRecord()
    {
        var read = await ReadAsync(Fixture.Storage(), NewGrainId());

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
    }

    [Fact]
    public async Task WriteWithAStaleETagThrowsInconsistentStateException()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var first = new GrainState<CheckpointState>(Checkpoint(1));
        await storage.WriteStateAsync(StateName, id, first);
        var second = await ReadAsync(storage, id);
        second.State = Checkpoint(2);
        await storage.WriteStateAsync(StateName, id, second);

        first.State = Checkpoint(3);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, id, first));

        AssertSame(Checkpoint(2), (await ReadAsync(storage, id)).State);
    }

    [Fact]
    public async Task ClearDeletesTheStateAndAClearWithAStaleETagThrows()
    {
        var storage = Fixture.Storage();
        var id = NewGrainId();
        var stale = new GrainState<CheckpointState>(Checkpoint(1));
        await storage.WriteStateAsync(StateName, id, stale);
        var current = await ReadAsync(storage, id);
        await storage.WriteStateAsync(StateName, id, current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, id, stale));
        await storage.ClearStateAsync(StateName, id, current);
        var read = await ReadAsync(storage, id);

        Assert.False(current.RecordExists);
        Assert.False(read.RecordExists);
    }

    [Fact]
    public async Task AGrainWithPersistentStateGetsItsCheckpointBackAfterDeactivation()
    {
        var grain = Fixture.Client.GetGrain<ICheckpointGrain>("grain-" + Guid.NewGuid().ToString("N"));
        var checkpoint = Checkpoint(12, payloadBytes: 4096);

        await grain.SaveAsync(checkpoint.Round, checkpoint.Note, checkpoint.Payload);
        await Fixture.Cluster.DeactivateAsync(grain);

        Assert.True(await grain.ExistsAsync());
        AssertSame(checkpoint, await grain.LoadAsync());

        await grain.ClearAsync();
        await Fixture.Cluster.DeactivateAsync(grain);
        Assert.False(await grain.ExistsAsync());
    }
}
