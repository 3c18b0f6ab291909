using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// A stage of the pool's pipeline. Its concern (retrying, sharing, counting...) works on whole responses, so a
/// streaming caller gets the whole response as updates rather than passing by the stage; the backend stage is the one
/// that streams from a server when its address asks for it.
/// </summary>
internal abstract class PoolChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        AsUpdates(token => GetResponseAsync(messages, options, token), cancellationToken);

    /// <summary>A whole response, asked for when the caller starts reading, as the updates a streaming caller reads.</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> AsUpdates(
        Func<CancellationToken, Task<ChatResponse>> answer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var update in (await answer(cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }
}
