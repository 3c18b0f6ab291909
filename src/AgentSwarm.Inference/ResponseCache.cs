using System.Security.Cryptography;
using System.Text;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Inference;

/// <summary>
/// Exact-match cache of deterministic (temperature 0) responses, keyed by a SHA-256 of the models, the messages and
/// every option that changes the answer; least recently used entries are evicted past its capacity.
/// </summary>
internal sealed class ResponseCache(int capacity)
{
    private readonly Dictionary<UInt128, LinkedListNode<(UInt128 Key, LlmResponse Value)>> _entries = [];
    private readonly LinkedList<(UInt128 Key, LlmResponse Value)> _lru = new();
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(UInt128 key, out LlmResponse response)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                response = node.Value.Value;
                return true;
            }
        }

        response = null!;
        return false;
    }

    public void Set(UInt128 key, LlmResponse response)
    {
        if (capacity <= 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
            }
            else if (_entries.Count >= capacity)
            {
                _entries.Remove(_lru.Last!.Value.Key);
                _lru.RemoveLast();
            }

            _entries[key] = _lru.AddFirst((key, response));
        }
    }

    public static UInt128 Key(string models, LlmRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, models);
        Append(hash, FormattableString.Invariant($"|t={request.Temperature:R}|max={request.MaxOutputTokens}|"));
        Append(hash, request.JsonSchema ?? string.Empty);
        foreach (var message in request.Messages)
        {
            // Length-prefixed, so no two different conversations hash the same text.
            Append(hash, FormattableString.Invariant($"|{(int)message.Role}:{message.Text.Length}:"));
            Append(hash, message.Text);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new UInt128(BitConverter.ToUInt64(digest), BitConverter.ToUInt64(digest[8..]));
    }

    private static void Append(IncrementalHash hash, string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var buffer = max <= 1024 ? stackalloc byte[max] : new byte[max];
        var written = Encoding.UTF8.GetBytes(text, buffer);
        hash.AppendData(buffer[..written]);
    }
}
