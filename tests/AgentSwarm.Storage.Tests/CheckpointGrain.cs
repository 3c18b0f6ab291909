namespace AgentSwarm.Storage.Tests;

/// <summary>A stand-in for a partition's checkpoint: a round, a note and an opaque payload that can be megabytes.</summary>
[GenerateSerializer, Alias("agentswarm.storage-tests.checkpoint-state")]
public sealed class CheckpointState
{
    [Id(0)]
    public int Round { get; set; }

    [Id(1)]
    public string Note { get; set; } = string.Empty;

    [Id(2)]
    public byte[] Payload { get; set; } = [];
}

[Alias("agentswarm.storage-tests.checkpoint-grain")]
public interface ICheckpointGrain : IGrainWithStringKey
{
    [Alias("save")]
    Task SaveAsync(int round, string note, byte[] payload);

    [Alias("load")]
    Task<CheckpointState> LoadAsync();

    [Alias("exists")]
    Task<bool> ExistsAsync();

    [Alias("clear")]
    Task ClearAsync();
}

/// <summary>Keeps its checkpoint the way the engine's grains do: [PersistentState] on the storage named "store".</summary>
public sealed class CheckpointGrain([PersistentState("checkpoint", StorageFixture.StoreName)] IPersistentState<CheckpointState> checkpoint)
    : Grain, ICheckpointGrain
{
    public async Task SaveAsync(int round, string note, byte[] payload)
    {
        checkpoint.State = new CheckpointState { Round = round, Note = note, Payload = payload };
        await checkpoint.WriteStateAsync();
    }

    public Task<CheckpointState> LoadAsync() => Task.FromResult(checkpoint.State);

    public Task<bool> ExistsAsync() => Task.FromResult(checkpoint.RecordExists);

    public Task ClearAsync() => checkpoint.ClearStateAsync();
}
