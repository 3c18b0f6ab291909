namespace AgentSwarm.Inference;

/// <summary>64-bit FNV-1a over UTF-16 characters: stable across processes and machines (string.GetHashCode is not).</summary>
internal static class Fnv1a
{
    public const ulong Offset = 0xcbf29ce484222325;

    /// <summary>Hashes <paramref name="text"/>, continuing from <paramref name="hash"/> so several pieces hash as one.</summary>
    public static ulong Hash(ReadOnlySpan<char> text, ulong hash = Offset)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * 0x100000001b3;
        }

        return hash;
    }
}
