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
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }
}
