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
        server.Decide = (_, _) => Behaviour.Slow; // answers nothing until the client hangs up
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider;
        var inference = services.GetRequiredService<InferenceClient>();
        var runId = Run();
        var llm = inference.For(runId, new LlmSpec([$"openai={server.BaseUri}v1/m?parallel=1"]));

        // Eight agents ask; the server takes one call at a time, so one is sent and seven wait in the pool's queue.
        using var cancel = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 8).Select(i => llm.CompleteAsync(Ask($"question {i}"), cancel.Token).AsTask()).ToArray();
        await Until(() => server.Count >= 1 ? Task.FromResult(true) : Task.FromResult(false), "the first call to reach the server");
        await Until(async () => (await Stats(inference, runId)).Queued == 7, "seven calls queued behind it");

        cancel.Cancel();
        var responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(responses, r => Assert.Equal(LlmOutcome.Cancelled, r.Outcome));

        // The pool lets go too: nothing in flight or queued, the sent call hung up, and the seven queued never sent.
        await Until(async () => (await Stats(inference, runId)) is { Queued: 0, InFlight: 0 }, "the pool to empty");
        Assert.Equal(1, server.Count);
    }

    private static async Task<LlmStats> Stats(InferenceClient inference, string runId)
    {
        var stats = await Task.WhenAll(inference.Grains(runId).Select(g => g.GetStatsAsync(runId)));
        var total = stats.Where(s => s is not null).Select(s => s!.Total).ToArray();
        return total.Length == 0 ? throw new InvalidOperationException("no stats yet") : total[0] with
        {
            Queued = total.Sum(t => t.Queued),
            InFlight = total.Sum(t => t.InFlight),
        };
    }

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (InvalidOperationException)
            {
                // Not there yet.
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"waited 20 s for {what}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }
}
