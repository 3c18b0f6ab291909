using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// What makes two calls the same question: every message's role and text, and every option that changes the answer
/// (model, temperature, output limit, response schema). A 128-bit XxHash of them, each text length-prefixed so no two
/// different conversations hash the same bytes; the key lives only in one run's memory, never on disk.
/// </summary>
internal static class ChatKey
{
    // XxHash128 is a class with its own buffers: one per thread, reset for each key, not one per call.
    [ThreadStatic]
    private static XxHash128? t_hash;

    public static UInt128 Of(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var hash = t_hash ??= new XxHash128();
        hash.Reset();
        Append(hash, options?.ModelId ?? string.Empty);
        Span<byte> numbers = stackalloc byte[sizeof(float) + sizeof(int)];
        BinaryPrimitives.WriteSingleLittleEndian(numbers, options?.Temperature ?? float.NaN);
        BinaryPrimitives.WriteInt32LittleEndian(numbers[sizeof(float)..], options?.MaxOutputTokens ?? -1);
        hash.Append(numbers);
        Append(hash, options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema } ? schema.GetRawText() : string.Empty);
        if (messages is LlmChatMessages engine)
        {
            // The same bytes as below, without making M.E.AI's messages to read them.
            foreach (var message in engine.Source)
            {
                Append(hash, LlmChatMessages.Role(message.Role).Value);
                Append(hash, message.Text);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                Append(hash, message.Role.Value);
                Append(hash, message.Text);
            }
        }

        return hash.GetCurrentHashAsUInt128();
    }

    /// <summary>Whether a call is deterministic (temperature 0), so the same question always gets the same answer.</summary>
    public static bool Deterministic(ChatOptions? options) => options?.Temperature == 0;

    /// <summary>Length first, so no two different sequences of texts hash the same bytes.</summary>
    private static void Append(XxHash128 hash, string text)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(length, text.Length);
        hash.Append(length);
        hash.Append(MemoryMarshal.AsBytes(text.AsSpan()));
    }
}
