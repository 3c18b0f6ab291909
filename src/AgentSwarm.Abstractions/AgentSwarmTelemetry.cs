using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentSwarm.Abstractions;

/// <summary>
/// AgentSwarm's OpenTelemetry instruments: the <c>AgentSwarm</c> activity source (a span per run, round and partition
/// step, and per LLM call one <c>agentswarm.llm.request</c> span with M.E.AI's OpenTelemetryChatClient spans of each
/// attempt beneath it, with the GenAI semantic conventions) and the <c>AgentSwarm</c> meter. They cost nothing until a listener (the OTLP exporter) subscribes.
/// </summary>
public static class AgentSwarmTelemetry
{
    public const string Name = "AgentSwarm";

    public static ActivitySource Source { get; } = new(Name);

    public static Meter Meter { get; } = new(Name);

    public static Counter<long> Rounds { get; } = Meter.CreateCounter<long>("agentswarm.rounds", "{round}", "Rounds finished");

    public static Counter<long> AgentSteps { get; } = Meter.CreateCounter<long>("agentswarm.agent_steps", "{step}", "Agent steps taken");

    public static Counter<long> Messages { get; } = Meter.CreateCounter<long>("agentswarm.messages", "{message}", "Messages delivered between agents");

    public static Histogram<double> RoundDuration { get; } = Meter.CreateHistogram<double>("agentswarm.round.duration", "s", "Wall time of a round");

    public static Counter<long> LlmCalls { get; } = Meter.CreateCounter<long>("agentswarm.llm.calls", "{call}", "LLM calls asked of the inference pool");

    public static Counter<long> LlmFailures { get; } = Meter.CreateCounter<long>("agentswarm.llm.failures", "{call}", "LLM calls that failed after their retries");

    public static Counter<long> LlmCacheHits { get; } = Meter.CreateCounter<long>("agentswarm.llm.cache_hits", "{call}", "LLM calls answered from the response cache");

    public static Counter<long> LlmTokens { get; } = Meter.CreateCounter<long>("agentswarm.llm.tokens", "{token}", "Tokens of LLM calls, by gen_ai.token.type (input, output)");

    public static Histogram<double> LlmLatency { get; } = Meter.CreateHistogram<double>("agentswarm.llm.latency", "s", "Latency of completed LLM calls, retries and queueing included");

    /// <summary>Simulated GPU time is reported by the pool as it is spent (see <see cref="GpuBusy"/>).</summary>
    public static Counter<double> GpuBusy { get; } = Meter.CreateCounter<double>("agentswarm.gpu.busy", "s", "Time the simulated GPU servers were busy");

    /// <summary>Tags naming a run's scenario and policy, low-cardinality enough for metrics.</summary>
    public static TagList RunTags(RunSpec spec) => new()
    {
        { "agentswarm.scenario", spec.Scenario },
        { "agentswarm.policy", spec.Policy.Name },
    };
}
