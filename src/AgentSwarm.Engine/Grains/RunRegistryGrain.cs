using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine.Grains;

/// <summary>
/// The cluster's list of runs, in grain storage so it outlives any silo. Controllers report to it (they never wait on
/// an answer that needs them: the registry calls nobody), and watchdogs read the unfinished runs from it.
/// </summary>
[GenerateSerializer, Alias("agentswarm.run-registry-state")]
internal sealed class RunRegistryState
{
    [Id(0)] public Dictionary<string, RunEntry> Runs { get; set; } = new(StringComparer.Ordinal);
}

internal sealed class RunRegistryGrain(
    [PersistentState("runs", EngineOptions.StorageName)] IPersistentState<RunRegistryState> state) : Grain, IRunRegistryGrain
{
    /// <summary>Finished runs the registry keeps listing; older ones drop off first.</summary>
    private const int FinishedKept = 1000;

    public async Task UpdateAsync(RunEntry entry)
    {
        state.State.Runs[entry.RunId] = entry;
        var finished = state.State.Runs.Values.Where(e => !IsActive(e.State)).OrderBy(e => e.UpdatedUtc).ToList();
        foreach (var old in finished.Take(Math.Max(0, finished.Count - FinishedKept)))
        {
            state.State.Runs.Remove(old.RunId);
        }

        await state.WriteStateAsync();
    }

    public Task<RunEntry[]> ListAsync() =>
        Task.FromResult(state.State.Runs.Values.OrderBy(e => e.CreatedUtc).ThenBy(e => e.RunId, StringComparer.Ordinal).ToArray());

    public Task<string[]> ActiveAsync() =>
        Task.FromResult(state.State.Runs.Values.Where(e => IsActive(e.State)).Select(e => e.RunId).ToArray());

    private static bool IsActive(SimulationState s) => s is SimulationState.Pending or SimulationState.Running;
}
