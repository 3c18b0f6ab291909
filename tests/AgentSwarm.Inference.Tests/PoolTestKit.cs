using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference.Tests;

/// <summary>Builds pools and requests for tests: short backoffs, so retries cost milliseconds.</summary>
internal static class PoolTestKit
{
    public static InferenceOptions FastOptions(int breakerFailures = 5) => new()
    {
        BackoffBase = TimeSpan.FromMilliseconds(1),
        BackoffMax = TimeSpan.FromMilliseconds(5),
        BreakerFailures = breakerFailures,
        BreakerOpenTime = TimeSpan.FromMinutes(10),
    };

    public static InferencePool Pool(InferenceOptions? options = null, TimeProvider? time = null) =>
        new(
            new BackendFactory([new GuessSimulatedResponder()], time ?? TimeProvider.System),
            time ?? TimeProvider.System,
            Options.Create(options ?? FastOptions()),
            NullLogger<InferencePool>.Instance);

    public static LlmSpec Spec(params string[] endpoints) =>
        new(endpoints, Temperature: 0.7, MaxOutputTokens: 64, MaxAttempts: 3, Timeout: TimeSpan.FromSeconds(20));

    public static LlmRequest Ask(string text, double temperature = 0.7, string system = "You are a player.", string? schema = null) =>
        new([new LlmMessage(LlmRole.System, system), new LlmMessage(LlmRole.User, text)], temperature, 64, schema);

    public static string Run() => "run-" + Guid.NewGuid().ToString("N")[..8];
}
