namespace AgentSwarm.Inference.Simulated;

/// <summary>
/// The performance model of one GPU serving one model with continuous batching (vLLM-style). A decode step gives
/// every running sequence one token and takes <see cref="StepBaseMs"/> + <see cref="StepPerSequenceMs"/> x running;
/// prompt tokens not found in the prefix cache cost <see cref="PrefillMsPerToken"/> each, added to the step that
/// admits them. The KV cache holds <see cref="CacheBlocks"/> blocks of <see cref="BlockTokens"/> tokens.
/// </summary>
/// <param name="Slots">Sequences running at once (vLLM's max_num_seqs, Ollama's NUM_PARALLEL).</param>
public sealed record SimulatedGpuProfile(
    string Name,
    string Model,
    int Slots,
    double PrefillMsPerToken,
    double StepBaseMs,
    double StepPerSequenceMs,
    int CacheBlocks,
    int BlockTokens,
    string Basis)
{
    /// <summary>Characters per token of the model's tokenizer, on English prose (Llama 3's is about 4).</summary>
    public const int CharsPerToken = 4;

    /// <summary>Milliseconds of one decode step with <paramref name="running"/> sequences.</summary>
    public double StepMs(int running) => StepBaseMs + (StepPerSequenceMs * running);

    /// <summary>
    /// Requests per second the GPU completes when it always has <see cref="Slots"/> sequences running, each with
    /// <paramref name="uncachedPromptTokens"/> prompt tokens to prefill and <paramref name="outputTokens"/> to decode.
    /// </summary>
    public double CapacityPerSecond(double uncachedPromptTokens, double outputTokens)
    {
        var secondsPerRequest = ((outputTokens * StepMs(Slots) / Slots) + (uncachedPromptTokens * PrefillMsPerToken)) / 1000.0;
        return 1.0 / secondsPerRequest;
    }

    public SimulatedGpuProfile WithSlots(int slots) => this with { Slots = slots };

    /// <summary>
    /// Named profiles. Figures are round numbers in line with published vLLM measurements of Llama-3-8B in bf16
    /// (an H100 decodes about 8-9k tokens/s at batch 256 and prefills about 40-50k tokens/s; an A100-80G is about 1.6x
    /// slower); the KV cache is the memory left after the weights at 128 KiB per token. They are a model, not a
    /// measurement: calibrate against your own server with <c>agentswarm bench inference</c> before planning on them.
    /// </summary>
    public static IReadOnlyDictionary<string, SimulatedGpuProfile> Named { get; } = new Dictionary<string, SimulatedGpuProfile>(StringComparer.Ordinal)
    {
        ["h100-llama3-8b"] = new("h100-llama3-8b", "llama3-8b", 256, 0.022, 7.0, 0.09, 26_000, 16,
            "H100-80G, Llama-3-8B bf16, vLLM: ~8.5k output tok/s at 256 sequences, ~45k prefill tok/s"),
        ["a100-llama3-8b"] = new("a100-llama3-8b", "llama3-8b", 256, 0.036, 10.0, 0.145, 26_000, 16,
            "A100-80G, Llama-3-8B bf16, vLLM: ~5.3k output tok/s at 256 sequences, ~28k prefill tok/s"),
        ["rtx4090-llama3-8b-q4"] = new("rtx4090-llama3-8b-q4", "llama3.1:8b", 4, 0.25, 9.0, 1.5, 4_096, 16,
            "RTX 4090, Llama-3.1-8B Q4 on Ollama with NUM_PARALLEL=4: ~260 output tok/s, ~4k prefill tok/s"),
        ["test-tiny"] = new("test-tiny", "tiny", 8, 0.001, 0.2, 0.01, 512, 16,
            "a fast toy GPU for tests: 8 slots, steps well under a millisecond"),
    };
}
