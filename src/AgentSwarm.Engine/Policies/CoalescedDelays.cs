namespace AgentSwarm.Engine.Policies;

/// <summary>
/// Waits that end in the same millisecond share one timer and one task, as a timer wheel's slot does. A million agents
/// that each wait a second then cost a thousand timers, not a million: no timer, delay task or cancellation
/// registration of their own, and the timer queue's lock taken once a millisecond instead of once an agent. A wait
/// never ends early: its end is rounded up to the next millisecond of <see cref="TimeProvider.GetTimestamp"/>.
/// </summary>
public sealed class CoalescedDelays(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(long Slot, CancellationToken Token), Slot> _slots = [];
    private readonly long _slotTicks = Math.Max(1, time.TimestampFrequency / 1000);

    /// <summary>Waits slots still pending (a test's view).</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>A task that completes at least <paramref name="delay"/> from now, or is cancelled with the token.</summary>
    public Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var now = time.GetTimestamp();
        var due = now + (long)Math.Ceiling(delay.TotalSeconds * time.TimestampFrequency);
        var key = ((due + _slotTicks - 1) / _slotTicks, cancellationToken);
        lock (_lock)
        {
            if (!_slots.TryGetValue(key, out var slot))
            {
                slot = new Slot(this, key);
                _slots.Add(key, slot);
                var wait = TimeSpan.FromSeconds((double)((key.Item1 * _slotTicks) - now) / time.TimestampFrequency);
                slot.Start(time, wait, cancellationToken);
            }

            return slot.Done.Task;
        }
    }

    private void End(Slot slot, bool cancelled)
    {
        lock (_lock)
        {
            if (!_slots.Remove(slot.Key))
            {
                return;
            }
        }

        slot.Close();
        if (cancelled)
        {
            slot.Done.TrySetCanceled(slot.Key.Token);
        }
        else
        {
            // Continuations run where their awaiters came from (a grain's scheduler), never on the timer's thread.
            slot.Done.TrySetResult();
        }
    }

    private sealed class Slot(CoalescedDelays owner, (long Slot, CancellationToken Token) key)
    {
        private ITimer? _timer;
        private CancellationTokenRegistration _registration;

        public (long Slot, CancellationToken Token) Key { get; } = key;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Start(TimeProvider time, TimeSpan wait, CancellationToken cancellationToken)
        {
            _timer = time.CreateTimer(static state => { var s = (Slot)state!; s.Owner.End(s, cancelled: false); }, this, wait, Timeout.InfiniteTimeSpan);
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static state => { var s = (Slot)state!; s.Owner.End(s, cancelled: true); }, this);
            }
        }

        private CoalescedDelays Owner => owner;

        public void Close()
        {
            _timer?.Dispose();
            _registration.Dispose();
        }
    }
}
