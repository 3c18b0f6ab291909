using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Policies;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference.Tests;

public sealed class LlmPolicyTests
{
    // The policy's concurrency needs no grain: the client is never asked for a call here.
    private static readonly IAgentPolicy Policy = new LlmPolicy(new InferenceClient(null!, Options.Create(new InferenceOptions())), []);

    [Fact]
    public void AgentsInFlightFollowTheSlotsOfTheRunsEndpoints()
    {
        // Four simulated H100s (256 GPU slots each, so 512 calls at once), an Ollama server (4 by default), an
        // OpenAI-compatible one told 32.
        Assert.Equal(512, EndpointAddress.Parse("simulated=h100-llama3-8b").Parallel);
        Assert.Equal(LlmPolicy.AgentsPerSlot * 4 * 512, Concurrency("simulated=h100-llama3-8b?seed=0", "simulated=h100-llama3-8b?seed=1", "simulated=h100-llama3-8b?seed=2", "simulated=h100-llama3-8b?seed=3"));
        Assert.Equal(LlmPolicy.AgentsPerSlot * (4 + 32), Concurrency("ollama=http://localhost:11434/llama3.1:8b", "openai=http://localhost:8000/v1/m?parallel=32"));
        Assert.Equal(Policy.RunConcurrency(new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=h100-llama3-8b"])), packed: false), Concurrency("simulated=h100-llama3-8b"));
    }

    [Fact]
    public void ARunWithoutUsableEndpointsKeepsTheDefaultAndTheBadAddressIsReportedByThePool()
    {
        Assert.Equal(Policy.DefaultRunConcurrency, Concurrency("nonsense"));
        Assert.Equal(Policy.DefaultRunConcurrency, Policy.RunConcurrency(new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0), packed: true));
    }

    private static int Concurrency(params string[] endpoints) =>
        Policy.RunConcurrency(new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(endpoints)), packed: true);
}
