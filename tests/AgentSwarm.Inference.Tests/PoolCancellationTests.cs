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

        var firstArrived = NeverAnswerTheFirst(server);
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

    [Fact]
    public async Task ADeduplicatedCallStopsWhenEveryCallerSharingItHasGivenUp()
    {
        await using var server = await FakeModelServer.StartAsync();
        var firstArrived = NeverAnswerTheFirst(server);
        using var pool = Pool();
        var runId = Run();
        var spec = Spec($"openai={server.BaseUri}v1/m?parallel=1");

        // Three agents ask the same deterministic question: one call, shared. The server never answers it.
        var cancels = Enumerable.Range(0, 3).Select(_ => new CancellationTokenSource()).ToArray();
        var calls = cancels.Select(c => pool.CompleteAsync(runId, spec, Ask("the same question", temperature: 0), c.Token)).ToArray();
        await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, pool.Stats(runId, "s")!.Total.Deduplicated);

        foreach (var cancel in cancels)
        {
            await cancel.CancelAsync();
        }

        var responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(responses, r => Assert.Equal(LlmOutcome.Cancelled, r.Outcome));

        // The server takes one call at a time: the same question again is answered only if the abandoned call let go of
        // the server's one slot (before, it ran on with no caller until its 20 s timeout, and then was retried).
        var again = await pool.CompleteAsync(runId, spec, Ask("the same question", temperature: 0), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(again.Ok, again.Error);
        Assert.False(again.Cached);
        Assert.Equal(2, server.Count);
        foreach (var cancel in cancels)
        {
            cancel.Dispose();
        }
    }

    [Fact]
    public async Task OneCallerGivingUpDoesNotFailTheOthersSharingItsCall()
    {
        await using var server = await FakeModelServer.StartAsync();
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Decide = (n, _) =>
        {
            firstArrived.TrySetResult();
            release.Task.Wait(TimeSpan.FromSeconds(30));
            return Behaviour.Answer;
        };
        using var pool = Pool();
        var runId = Run();
        var spec = Spec($"openai={server.BaseUri}v1/m?parallel=1");

        using var firstCaller = new CancellationTokenSource();
        var first = pool.CompleteAsync(runId, spec, Ask("shared", temperature: 0), firstCaller.Token);
        var others = Enumerable.Range(0, 2).Select(_ => pool.CompleteAsync(runId, spec, Ask("shared", temperature: 0), CancellationToken.None)).ToArray();
        await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The caller that started the call gives up; the call goes on for the two still waiting.
        await firstCaller.CancelAsync();
        Assert.Equal(LlmOutcome.Cancelled, (await first.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
        release.SetResult();
        var answers = await Task.WhenAll(others).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(answers, a => Assert.True(a.Ok, a.Error));
        Assert.All(answers, a => Assert.Equal("42", a.Text));
        Assert.Equal(1, server.Count);
    }

    [Fact]
    public async Task ACallerOfABatchThatGivesUpIsAnsweredAtOnceAndTheRestOfItsBatchGoesOn()
    {
        await using var server = await FakeModelServer.StartAsync();
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Decide = (n, _) =>
        {
            if (Interlocked.Increment(ref arrived) == 3)
            {
                allArrived.TrySetResult();
            }

            release.Task.Wait(TimeSpan.FromSeconds(30));
            return Behaviour.Answer;
        };
        var services = ((InProcessSiloHandle)fixture.Cluster.Silos[0]).ServiceProvider;
        var llm = services.GetRequiredService<InferenceClient>().For(Run(), new LlmSpec([$"openai={server.BaseUri}v1/m?parallel=3"]));

        // Three agents' calls leave in one batch and all reach the server, which holds them.
        using var giveUp = new CancellationTokenSource();
        var quitter = llm.CompleteAsync(Ask("question 0"), giveUp.Token).AsTask();
        var others = Enumerable.Range(1, 2).Select(i => llm.CompleteAsync(Ask($"question {i}"), CancellationToken.None).AsTask()).ToArray();
        await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // One gives up: it has its answer while the server still holds every call.
        await giveUp.CancelAsync();
        Assert.Equal(LlmOutcome.Cancelled, (await quitter.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
        Assert.All(others, o => Assert.False(o.IsCompleted));

        release.SetResult();
        var answers = await Task.WhenAll(others).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(answers, a => Assert.True(a.Ok, a.Error));
        Assert.Equal(3, server.Count);
    }

    /// <summary>The first request is never answered until the client hangs up; any later one is answered at once. The task: the first has arrived.</summary>
    private static TaskCompletionSource NeverAnswerTheFirst(FakeModelServer server)
    {
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
        return firstArrived;
    }
}
