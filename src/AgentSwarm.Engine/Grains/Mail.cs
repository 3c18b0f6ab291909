using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Engine.Grains;

/// <summary>
/// Messages in columns (sender, receiver, text, number), in buffers kept from round to round: after the first rounds a
/// partition's mail allocates nothing, where a list per batch and an array per inbox every round cost a round's worth of
/// large-object garbage and the full collections it set off.
/// </summary>
internal sealed class MailBuffer
{
    private int[] _from = [];
    private int[] _to = [];
    private string?[] _text = [];
    private double[] _numbers = [];

    // Where each batch appended by AddRange starts, with its first sender (a receiver's staging reads batches in sender order).
    private readonly List<(int First, int Start, int Count)> _batches = [];

    public int Count { get; private set; }

    public ReadOnlySpan<int> From => _from.AsSpan(0, Count);

    public ReadOnlySpan<int> To => _to.AsSpan(0, Count);

    public ReadOnlySpan<string?> Text => _text.AsSpan(0, Count);

    public ReadOnlySpan<double> Numbers => _numbers.AsSpan(0, Count);

    public void Add(int from, int to, string? text, double number)
    {
        if (Count == _from.Length)
        {
            Grow(Count + 1);
        }

        _from[Count] = from;
        _to[Count] = to;
        _text[Count] = text;
        _numbers[Count] = number;
        Count++;
    }

    /// <summary>Copies a batch in (the sender may reuse the batch's buffers once this returns).</summary>
    public void AddRange(MessageBatch batch)
    {
        var n = batch.Count;
        if (n == 0)
        {
            return;
        }

        if (Count + n > _from.Length)
        {
            Grow(Count + n);
        }

        _batches.Add((batch.From[0], Count, n));
        batch.From.AsSpan().CopyTo(_from.AsSpan(Count));
        batch.To.AsSpan().CopyTo(_to.AsSpan(Count));
        batch.Text.AsSpan().CopyTo(_text.AsSpan(Count));
        batch.Numbers.AsSpan().CopyTo(_numbers.AsSpan(Count));
        Count += n;
    }

    /// <summary>The batches AddRange appended, ordered by their first sender.</summary>
    public List<(int First, int Start, int Count)> BatchesBySender()
    {
        _batches.Sort(static (x, y) => x.First.CompareTo(y.First));
        return _batches;
    }

    /// <summary>The buffer's messages without a copy: valid until the buffer is next cleared or added to.</summary>
    public MessageBatch View() => new(new(_from, 0, Count), new(_to, 0, Count), new(_text, 0, Count), new(_numbers, 0, Count));

    /// <summary>The buffer's messages in arrays of their own (a checkpoint keeps them).</summary>
    /// <remarks>
    /// Four new arrays even when empty: a range of nothing is the one shared empty array, and Orleans' serializer writes
    /// a second segment over an array it already wrote as a reference, which its ArraySegment codec cannot read back.
    /// </remarks>
    public MessageBatch Copy() => new(Own(_from), Own(_to), Own(_text), Own(_numbers));

    private T[] Own<T>(T[] column)
    {
        var copy = new T[Count];
        Array.Copy(column, copy, Count);
        return copy;
    }

    /// <summary>Empties the buffer, keeping its capacity (and dropping its texts, so they can be collected).</summary>
    public void Clear()
    {
        Array.Clear(_text, 0, Count);
        Count = 0;
        _batches.Clear();
    }

    private void Grow(int needed)
    {
        var capacity = Math.Max(Math.Max(needed, 16), (int)Math.Min(Array.MaxLength, 2L * _from.Length));
        Array.Resize(ref _from, capacity);
        Array.Resize(ref _to, capacity);
        Array.Resize(ref _text, capacity);
        Array.Resize(ref _numbers, capacity);
    }
}

/// <summary>
/// A partition's outgoing mail of one step, grouped by destination partition. One per partition, reset at the start of
/// every step: a batch it hands out is a view of its buffers, which receivers copy before their delivery call returns.
/// </summary>
internal sealed class Outbox(int[] bounds)
{
    private readonly MailBuffer?[] _batches = new MailBuffer?[bounds.Length - 1];

    // The destination of the last message: an agent's neighbours mostly sit in one partition.
    private int _lastPartition;

    public int Partitions => _batches.Length;

    public long Delivered { get; private set; }

    public long Dropped { get; private set; }

    public void Reset()
    {
        foreach (var batch in _batches)
        {
            batch?.Clear();
        }

        Delivered = 0;
        Dropped = 0;
    }

    public void Add(int from, int[] neighbours, OutgoingMessage[] outgoing)
    {
        foreach (var message in outgoing)
        {
            // An agent speaks only along its own edges; the post office refuses anything else.
            if (neighbours.AsSpan().BinarySearch(message.To) < 0)
            {
                Dropped++;
                continue;
            }

            AddChecked(from, message.To, message.WrittenText, message.Number);
            Delivered++;
        }
    }

    /// <summary>Mail already checked against its sender's edges (a checkpoint's).</summary>
    public void AddChecked(int from, int to, string? text, double number) => (_batches[PartitionOf(to)] ??= new MailBuffer()).Add(from, to, text, number);

    /// <summary>All of the step's mail in one batch of its own, in destination-partition order (for a checkpoint).</summary>
    public MessageBatch All()
    {
        var all = new MailBuffer();
        foreach (var batch in _batches)
        {
            if (batch is { Count: > 0 })
            {
                all.AddRange(batch.View());
            }
        }

        return all.Copy();
    }

    /// <summary>The mail for one partition, a view valid until the next <see cref="Reset"/>; null when there is none.</summary>
    public MessageBatch? Take(int partition) => _batches[partition] is { Count: > 0 } batch ? batch.View() : null;

    private int PartitionOf(int agent)
    {
        var last = _lastPartition;
        if (agent >= bounds[last] && agent < bounds[last + 1])
        {
            return last;
        }

        var i = Array.BinarySearch(bounds, agent);
        if (i < 0)
        {
            i = ~i - 1;
        }
        else
        {
            // Several partitions may start at the same index when some are empty: take the last.
            while (i + 1 < bounds.Length - 1 && bounds[i + 1] == agent)
            {
                i++;
            }
        }

        _lastPartition = i;
        return i;
    }
}

/// <summary>
/// A partition's incoming mail: what other partitions delivered for each coming round, copied in as it arrives, and
/// turned into one inbox per agent when that round starts. Its buffers are kept from round to round.
/// </summary>
internal sealed class Mailroom(int first, int count)
{
    private readonly Dictionary<int, MailBuffer> _rounds = [];
    private readonly Stack<MailBuffer> _spare = [];
    private readonly int[] _offsets = new int[count + 1];
    private readonly int[] _next = new int[count];
    private InboxMessage[] _messages = [];
    private int _used;

    public void Accept(int round, MessageBatch batch)
    {
        if (!_rounds.TryGetValue(round, out var buffer))
        {
            _rounds[round] = buffer = _spare.TryPop(out var spare) ? spare : new MailBuffer();
        }

        buffer.AddRange(batch);
    }

    /// <summary>
    /// This round's mail, one inbox per local agent, each sorted by sender so arrival order never shows: slices of one
    /// array, which the next call reuses (an inbox is read during its round's step only). Null when nobody wrote.
    /// </summary>
    public RoundMail? Take(int round)
    {
        // Mail for earlier rounds can only be left over from a cancelled round: drop it.
        List<int>? stale = null;
        foreach (var r in _rounds.Keys)
        {
            if (r < round)
            {
                (stale ??= []).Add(r);
            }
        }

        foreach (var r in stale ?? [])
        {
            _rounds.Remove(r, out var old);
            Release(old!);
        }

        if (!_rounds.Remove(round, out var buffer))
        {
            return null;
        }

        var offsets = _offsets;
        Array.Clear(offsets);
        foreach (var receiver in buffer.To)
        {
            offsets[receiver - first + 1]++;
        }

        for (var i = 0; i < count; i++)
        {
            offsets[i + 1] += offsets[i];
        }

        var total = offsets[count];
        if (_messages.Length < total)
        {
            _messages = new InboxMessage[Math.Max(total, (int)Math.Min(Array.MaxLength, 5L * _messages.Length / 4))];
        }
        else if (_used > total)
        {
            Array.Clear(_messages, total, _used - total);
        }

        _used = total;
        var messages = _messages;

        // Batches in sender order, each in its sender's order: each inbox comes out sorted unless a batch was not.
        var next = _next;
        Array.Copy(offsets, next, count);
        var from = buffer.From;
        var to = buffer.To;
        var text = buffer.Text;
        var numbers = buffer.Numbers;
        foreach (var (_, start, n) in buffer.BatchesBySender())
        {
            for (var m = start; m < start + n; m++)
            {
                messages[next[to[m] - first]++] = new InboxMessage(from[m], text[m], numbers[m]);
            }
        }

        for (var i = 0; i < count; i++)
        {
            SortBySender(messages.AsSpan(offsets[i], offsets[i + 1] - offsets[i]));
        }

        Release(buffer);
        return new RoundMail(messages, offsets);
    }

    /// <summary>Sorts an inbox by sender, stably (a sender's messages keep their order), if it is not already.</summary>
    internal static void SortBySender(Span<InboxMessage> inbox)
    {
        var sorted = true;
        for (var k = 1; k < inbox.Length && sorted; k++)
        {
            sorted = inbox[k - 1].From <= inbox[k].From;
        }

        if (sorted)
        {
            return;
        }

        if (inbox.Length <= 32)
        {
            for (var k = 1; k < inbox.Length; k++)
            {
                var item = inbox[k];
                var j = k - 1;
                while (j >= 0 && inbox[j].From > item.From)
                {
                    inbox[j + 1] = inbox[j];
                    j--;
                }

                inbox[j + 1] = item;
            }

            return;
        }

        InboxMessage[] ordered = [.. inbox.ToArray().OrderBy(static m => m.From)];
        ordered.CopyTo(inbox);
    }

    private void Release(MailBuffer buffer)
    {
        buffer.Clear();
        _spare.Push(buffer);
    }
}

/// <summary>A partition's mail of one round: every message, grouped by receiver; agent i's are offsets[i] .. offsets[i + 1] - 1.</summary>
internal sealed class RoundMail(InboxMessage[] messages, int[] offsets)
{
    public Inbox Of(int local) => new(messages, offsets[local], offsets[local + 1] - offsets[local]);
}
