namespace AgentSwarm.Inference.Simulated;

/// <summary>
/// A simulated GPU driven on a virtual clock with no engine in front: for capacity planning. Calls are queued, then
/// <see cref="RunToIdle"/> steps the GPU until nothing is left; a finished call may queue a follow-up (an agent's
/// second call), which joins at the model time it was made.
/// </summary>
public sealed class SimulatedGpuRun(SimulatedGpuProfile profile)
{
    private readonly SimulatedGpu _gpu = new(profile);
    private readonly int _blockChars = profile.BlockTokens * SimulatedGpuProfile.CharsPerToken;

    public SimulatedGpuSnapshot Snapshot => new(_gpu.NowMs, _gpu.BusyMs, _gpu.Completed, _gpu.PromptTokens, _gpu.CachedPromptTokens, _gpu.OutputTokens, _gpu.Running, _gpu.Waiting, _gpu.CacheEvictions, _gpu.Steps);

    /// <summary>Queues a call: its prompt as the server would render it, and the tokens it will generate.</summary>
    public void Enqueue(string prompt, int outputTokens, object? state = null) =>
        _gpu.Enqueue(new SimulatedSequence(SimulatedChatClient.Tokens(prompt), PrefixCache.Chain(prompt, _blockChars), outputTokens, state));

    /// <summary>Steps until idle, calling <paramref name="finished"/> with each finished call's state; returns model seconds.</summary>
    public double RunToIdle(Action<object?> finished)
    {
        while (!_gpu.Idle)
        {
            foreach (var sequence in _gpu.Step().Finished)
            {
                finished(sequence.State);
            }
        }

        return _gpu.NowMs / 1000;
    }
}
