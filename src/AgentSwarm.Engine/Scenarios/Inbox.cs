using System.Runtime.CompilerServices;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine.Scenarios;

/// <summary>
/// An agent's mail this round, sorted by sender: a slice of its partition's one array of the round's mail (packed
/// hosting), or an array of its own (grain hosting). Read it with <c>foreach</c>, <see cref="Length"/> and the indexer;
/// a packed partition allocates nothing per agent for it. LINQ works too (through <see cref="IReadOnlyList{T}"/>, boxed).
/// A packed partition reuses the array in its next round: a mind that keeps mail past its turn keeps a copy
/// (<see cref="ToArray"/>), not the inbox.
/// </summary>
[CollectionBuilder(typeof(Inbox), nameof(Create))]
public readonly struct Inbox : IReadOnlyList<InboxMessage>
{
    private readonly InboxMessage[]? _messages;
    private readonly int _start;

    public Inbox(InboxMessage[] messages)
        : this(messages, 0, messages.Length)
    {
    }

    /// <summary>The messages <paramref name="start"/> .. <paramref name="start"/> + <paramref name="length"/> - 1 of a shared array.</summary>
    public Inbox(InboxMessage[] messages, int start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + length, messages.Length, nameof(length));
        _messages = messages;
        _start = start;
        Length = length;
    }

    public int Length { get; }

    int IReadOnlyCollection<InboxMessage>.Count => Length;

    public InboxMessage this[int index] => (uint)index < (uint)Length ? _messages![_start + index] : throw new ArgumentOutOfRangeException(nameof(index));

    public ReadOnlySpan<InboxMessage> Span => _messages is null ? default : _messages.AsSpan(_start, Length);

    public ReadOnlySpan<InboxMessage>.Enumerator GetEnumerator() => Span.GetEnumerator();

    IEnumerator<InboxMessage> IEnumerable<InboxMessage>.GetEnumerator() =>
        ((IEnumerable<InboxMessage>)(_messages is null ? ArraySegment<InboxMessage>.Empty : new ArraySegment<InboxMessage>(_messages, _start, Length))).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => ((IEnumerable<InboxMessage>)this).GetEnumerator();

    /// <summary>A copy of its own (what a grain-hosted agent is sent).</summary>
    public InboxMessage[] ToArray() => Span.ToArray();

    public static implicit operator Inbox(InboxMessage[] messages) => new(messages);

    /// <summary>For collection expressions (<c>[]</c>, <c>[a, b]</c>).</summary>
    public static Inbox Create(ReadOnlySpan<InboxMessage> messages) => messages.IsEmpty ? default : new(messages.ToArray());
}
