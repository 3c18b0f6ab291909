namespace AgentSwarm.Inference;

/// <summary>
/// A counting gate like a semaphore, whose waiters leave in order of priority, then arrival. Follow-up calls (an
/// agent's second call of a turn) pass first calls, so agents finish their turns as the round goes rather than all
/// at its end, where a GPU would otherwise wait on the last stragglers' second calls.
/// </summary>
internal sealed class PriorityGate(int slots)
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource>[] _waiting = [new(), new()];
    private int _free = slots;

    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting[0].Count + _waiting[1].Count;
            }
        }
    }

    /// <summary>Waits for a slot; <paramref name="priority"/> above 0 goes ahead of first calls.</summary>
    public Task WaitAsync(int priority, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_free > 0)
            {
                _free--;
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[priority > 0 ? 1 : 0].Enqueue(waiter);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return waiter.Task;
        }

        var registration = cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter);
        return waiter.Task.ContinueWith(
            static (task, state) =>
            {
                ((CancellationTokenRegistration)state!).Dispose();
                task.GetAwaiter().GetResult();
            },
            registration,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public void Release()
    {
        while (true)
        {
            TaskCompletionSource? next = null;
            lock (_lock)
            {
                if (!_waiting[1].TryDequeue(out next) && !_waiting[0].TryDequeue(out next))
                {
                    _free++;
                    return;
                }
            }

            // A waiter cancelled meanwhile does not take the slot: hand it to the next one.
            if (next.TrySetResult())
            {
                return;
            }
        }
    }
}
