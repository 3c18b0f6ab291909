using AgentSwarm.Abstractions;
using AgentSwarm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using static AgentSwarm.Inference.Tests.PoolTestKit;

namespace AgentSwarm.Inference.Tests;

/// <summary>A cancelled run's calls stop at the pool: those still queued for a server never reach it.</summary>
public sealed class PoolCancellationTests(InferenceClusterFixture fixture) : IClassFixture<InferenceClusterFixture>
{
    [Fact]
    public async Task CancellingEveryCallerCancelsTheBatchDownToThePoolsQueue()
    {
        await using var server = await FakeModelServer.StartAsync();

        // The first request is never answered until the client hangs up; any later one is answered at once.
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Decide = (n, _) =>
        {
            if (n > 0)
            {
                return Behaviour.Answer;
            }

            firstArrived.TrySetResult();
            return Behaviour.Slow;
        };
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider;
        var inference = services.GetRequiredService<InferenceClient>();
        var runId = Run();
        var llm = inference.For(runId, new LlmSpec([$"openai={server.BaseUri}v1/m?parallel=1"]));

        // Eight agents ask in one batch; the server takes one call at a time, so one is sent and seven wait in the pool's queue.
        using var cancel = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 8).Select(i => llm.CompleteAsync(Ask($"question {i}"), cancel.Token).AsTask()).ToArray();
        await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stats = (await Task.WhenAll(inference.Grains(runId).Select(g => g.GetStatsAsync(runId)))).Single(s => s is not null)!;
        Assert.Equal(7, stats.Total.Queued);

        cancel.Cancel();
        var responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(responses, r => Assert.Equal(LlmOutcome.Cancelled, r.Outcome));

        // A later call queues behind whatever the pool still holds: once it is answered, any of the seven that had
        // survived the cancellation would have reached the server before it. None did: the server saw the first and this one.
        var later = await llm.CompleteAsync(Ask("after the cancellation"), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(later.Ok, later.Error);
        Assert.Equal(2, server.Count);
    }
}
