using System.IO.Hashing;
using System.Runtime.InteropServices;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine.Logging;

/// <summary>
/// The state hash of a round: each agent's action and the messages it sent, hashed with its index (XxHash64), and
/// summed over agents (mod 2^64), so partitions and completion order do not change it. A replay that re-runs the
/// simulation must reproduce it round by round; the log keeps it beside the records it was computed from.
/// </summary>
public static class StateHash
{
    public static ulong Agent(int index, AgentAction action, ReadOnlySpan<OutgoingMessage> sent)
    {
        var hash = new XxHash64();
        Span<byte> head = stackalloc byte[12];
        MemoryMarshal.Write(head, index);
        MemoryMarshal.Write(head[4..], BitConverter.DoubleToInt64Bits(action.Number));
        hash.Append(head);
        AppendText(ref hash, action.Text);
        Span<byte> to = stackalloc byte[4];
        foreach (var message in sent)
        {
            MemoryMarshal.Write(to, message.To);
            hash.Append(to);
            AppendText(ref hash, message.Text);
        }

        return hash.GetCurrentHashAsUInt64();
    }

    private static void AppendText(ref XxHash64 hash, string? text)
    {
        Span<byte> length = stackalloc byte[4];
        MemoryMarshal.Write(length, text is null ? -1 : text.Length);
        hash.Append(length);
        if (!string.IsNullOrEmpty(text))
        {
            hash.Append(MemoryMarshal.AsBytes(text.AsSpan()));
        }
    }
}
