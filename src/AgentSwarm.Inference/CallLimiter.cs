namespace AgentSwarm.Inference;

/// <summary>
/// At most <c>limit</c> holders at once; callers beyond it wait their turn in order. Under the limit, entering and
/// leaving are one interlocked operation each: a semaphore's lock, taken by every call of every agent on the silo,
/// was the most contended lock of a 100,000-agent LLM round.
/// </summary>
internal sealed class CallLimiter(int limit)
{
    private readonly SemaphoreSlim _turns = new(0);

    // Holders and waiters together.
    private int _count;

    /// <summary>False when the caller gave up (its token was cancelled) before it got in; it then holds nothing.</summary>
    public ValueTask<bool> EnterAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromResult(false);
        }

        return Interlocked.Increment(ref _count) <= limit ? ValueTask.FromResult(true) : WaitTurnAsync(cancellationToken);
    }

    /// <summary>Leaves, handing the turn to the longest waiter, if any.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) >= limit)
        {
            _turns.Release();
        }
    }

    private async ValueTask<bool> WaitTurnAsync(CancellationToken cancellationToken)
    {
        // A waiter takes its turn even when it has given up, and hands it on at once: a turn handed to a waiter that
        // has left would otherwise be lost, or let one caller too many in later.
        await _turns.WaitAsync(CancellationToken.None);
        if (cancellationToken.IsCancellationRequested)
        {
            Exit();
            return false;
        }

        return true;
    }
}
