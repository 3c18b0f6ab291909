namespace AgentSwarm.Inference.Tests;

public sealed class CallLimiterTests
{
    [Fact]
    public async Task NoMoreThanTheLimitHoldAtOnceAndWaitersGoInOrder()
    {
        var limiter = new CallLimiter(2);
        Assert.True(await limiter.EnterAsync(CancellationToken.None));
        Assert.True(await limiter.EnterAsync(CancellationToken.None));

        var third = limiter.EnterAsync(CancellationToken.None).AsTask();
        var fourth = limiter.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        Assert.False(fourth.IsCompleted);

        limiter.Exit();
        Assert.True(await third.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(fourth.IsCompleted);

        limiter.Exit();
        Assert.True(await fourth.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AWaiterThatGaveUpHandsItsTurnOnAndLetsNobodyExtraInLater()
    {
        var limiter = new CallLimiter(1);
        Assert.True(await limiter.EnterAsync(CancellationToken.None));
        using var giveUp = new CancellationTokenSource();
        var quitter = limiter.EnterAsync(giveUp.Token).AsTask();
        var patient = limiter.EnterAsync(CancellationToken.None).AsTask();
        giveUp.Cancel();

        // The holder leaves: the quitter takes the turn, sees it gave up, and hands the turn to the patient waiter.
        limiter.Exit();
        Assert.False(await quitter.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await patient.WaitAsync(TimeSpan.FromSeconds(10)));

        // Still one at a time: the next caller waits for the patient one to leave.
        var next = limiter.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        limiter.Exit();
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.False(await limiter.EnterAsync(giveUp.Token));
    }
}
