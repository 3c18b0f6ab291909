namespace AgentSwarm.Inference.Simulated;

/// <summary>
/// The KV prefix cache of a simulated GPU: fixed-size token blocks keyed by the hash of everything up to and including
/// the block (so a block is reused only after the same prefix), evicted least recently used. Not thread-safe.
/// </summary>
internal sealed class PrefixCache(int capacityBlocks)
{
    private readonly Dictionary<ulong, LinkedListNode<ulong>> _blocks = new(capacityBlocks);
    private readonly LinkedList<ulong> _lru = new();

    public int Count => _blocks.Count;

    public long Evictions { get; private set; }

    /// <summary>How many leading blocks of <paramref name="chain"/> are cached; then makes all of them most recent.</summary>
    public int LookupAndInsert(ReadOnlySpan<ulong> chain)
    {
        var hits = 0;
        while (hits < chain.Length && _blocks.ContainsKey(chain[hits]))
        {
            hits++;
        }

        foreach (var block in chain)
        {
            if (_blocks.TryGetValue(block, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                continue;
            }

            if (capacityBlocks == 0)
            {
                continue;
            }

            if (_blocks.Count >= capacityBlocks)
            {
                var oldest = _lru.Last!;
                _lru.RemoveLast();
                _blocks.Remove(oldest.Value);
                Evictions++;
            }

            _blocks[block] = _lru.AddFirst(block);
        }

        return hits;
    }

    /// <summary>
    /// The chain of the prompt <see cref="SimulatedChatClient.Render"/> lays out for <paramref name="messages"/>, and its
    /// length in characters, read from the messages as they are: the same hashes, without making the prompt's string.
    /// </summary>
    public static ulong[] Chain(ReadOnlySpan<AgentSwarm.Abstractions.LlmMessage> messages, int blockChars, out int length)
    {
        length = 0;
        foreach (var message in messages)
        {
            length += 3 + SimulatedChatClient.RoleName(message.Role).Length + message.Text.Length;
        }

        var chain = new ChainWriter(length, blockChars);
        foreach (var message in messages)
        {
            chain.Feed("<");
            chain.Feed(SimulatedChatClient.RoleName(message.Role));
            chain.Feed(">");
            chain.Feed(message.Text);
            chain.Feed("\n");
        }

        return chain.Blocks;
    }

    /// <summary>The chained block hashes of a prompt: block i covers characters [i x size, (i + 1) x size); a partial last block is not cacheable.</summary>
    public static ulong[] Chain(string prompt, int blockChars)
    {
        var chain = new ChainWriter(prompt.Length, blockChars);
        chain.Feed(prompt);
        return chain.Blocks;
    }

    /// <summary>Hashes a prompt fed in pieces, recording the running hash at the end of each whole block.</summary>
    private struct ChainWriter(int length, int blockChars)
    {
        private ulong _hash = Fnv1a.Offset;
        private int _filled;
        private int _block;

        public ulong[] Blocks { get; } = new ulong[length / blockChars];

        public void Feed(ReadOnlySpan<char> text)
        {
            while (text.Length > 0 && _block < Blocks.Length)
            {
                var take = Math.Min(blockChars - _filled, text.Length);
                _hash = Fnv1a.Hash(text[..take], _hash);
                _filled += take;
                text = text[take..];
                if (_filled == blockChars)
                {
                    Blocks[_block++] = _hash ^ (_hash >> 29);
                    _filled = 0;
                }
            }
        }
    }
}
