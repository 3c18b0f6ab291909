using System.Collections;
using AgentSwarm.Abstractions;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// The engine's messages seen as Microsoft.Extensions.AI's, made when read rather than when the call starts. A call
/// can wait in an endpoint's queue for seconds with a hundred thousand others; holding M.E.AI's messages (each a
/// message, a content list and a text) for all of them through that wait made every garbage collection of the round
/// carry them. The stages that only need the text (routing, keys) read the engine's messages directly; the server's
/// client, after the wait, reads the M.E.AI ones.
/// </summary>
internal sealed class LlmChatMessages(LlmMessage[] messages) : IReadOnlyList<ChatMessage>
{
    public LlmMessage[] Source => messages;

    public int Count => messages.Length;

    public ChatMessage this[int index] => Convert(messages[index]);

    public IEnumerator<ChatMessage> GetEnumerator()
    {
        foreach (var message in messages)
        {
            yield return Convert(message);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static ChatRole Role(LlmRole role) => role switch
    {
        LlmRole.System => ChatRole.System,
        LlmRole.Assistant => ChatRole.Assistant,
        _ => ChatRole.User,
    };

    private static ChatMessage Convert(LlmMessage message) => new(Role(message.Role), message.Text);
}
