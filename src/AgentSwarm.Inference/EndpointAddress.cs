using System.Globalization;
using AgentSwarm.Inference.Simulated;

namespace AgentSwarm.Inference;

public enum BackendKind
{
    Ollama,
    OpenAi,
    Simulated,
}

/// <summary>
/// One model endpoint, parsed from <c>KIND=ADDRESS[?key=value&amp;...]</c>:
/// <c>ollama=http://localhost:11434/llama3.1:8b</c>, <c>openai=http://host:8000/v1/meta-llama/Llama-3.1-8B-Instruct</c>,
/// <c>simulated=h100-llama3-8b</c>. Options: parallel (calls in flight; default 4 for Ollama as its NUM_PARALLEL,
/// 256 for OpenAI-compatible servers, twice the profile's slots for simulated; set it a little above the
/// server's slots so the server never waits for the next call), stream (true/false), num_ctx and keep_alive
/// (Ollama), api_key (OpenAI), and for simulated: slots, clock (real|virtual), malformed (share 0..1), seed, and
/// cache_blocks (prefix-cache size in blocks of 16 tokens).
/// </summary>
public sealed record EndpointAddress(
    string Text,
    BackendKind Kind,
    Uri? BaseUri,
    string Model,
    int Parallel,
    bool Stream,
    IReadOnlyDictionary<string, string> Options)
{
    private static readonly Dictionary<BackendKind, string[]> KnownOptions = new()
    {
        [BackendKind.Ollama] = ["parallel", "stream", "num_ctx", "keep_alive"],
        [BackendKind.OpenAi] = ["parallel", "stream", "api_key"],
        [BackendKind.Simulated] = ["parallel", "stream", "slots", "clock", "malformed", "seed", "cache_blocks"],
    };

    /// <summary>Checks an endpoint in full (a simulated one's options too); throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static void Validate(string text)
    {
        var address = Parse(text);
        if (address.Kind == BackendKind.Simulated)
        {
            address.SimulatedOptions();
        }
    }

    /// <summary>Parses an endpoint; throws <see cref="FormatException"/> with a message that names what is wrong.</summary>
    public static EndpointAddress Parse(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new FormatException($"endpoint '{text}': expected KIND=ADDRESS, for example ollama=http://localhost:11434/llama3.1:8b, openai=http://localhost:8000/v1/MODEL or simulated=h100-llama3-8b");
        }

        var kindText = text[..equals].Trim().ToLowerInvariant();
        var kind = kindText switch
        {
            "ollama" => BackendKind.Ollama,
            "openai" or "vllm" or "sglang" or "llamacpp" or "llama.cpp" or "lmstudio" => BackendKind.OpenAi,
            "simulated" => BackendKind.Simulated,
            _ => throw new FormatException($"endpoint '{text}': unknown kind '{kindText}' (expected ollama, openai or simulated)"),
        };

        var rest = text[(equals + 1)..].Trim();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in rest[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = (eq < 0 ? pair : pair[..eq]).Trim().ToLowerInvariant();
                if (!KnownOptions[kind].Contains(key))
                {
                    throw new FormatException($"endpoint '{text}': unknown option '{key}' (expected one of: {string.Join(", ", KnownOptions[kind])})");
                }

                options[key] = eq < 0 ? "true" : Uri.UnescapeDataString(pair[(eq + 1)..].Trim());
            }

            rest = rest[..question];
        }

        var stream = options.TryGetValue("stream", out var streamText) && ParseBool(text, "stream", streamText);
        switch (kind)
        {
            case BackendKind.Simulated:
            {
                if (!SimulatedGpuProfile.Named.TryGetValue(rest, out var profile))
                {
                    throw new FormatException($"endpoint '{text}': unknown simulated profile '{rest}' (expected one of: {string.Join(", ", SimulatedGpuProfile.Named.Keys)})");
                }

                var slots = options.TryGetValue("slots", out var slotsText) ? ParsePositive(text, "slots", slotsText) : profile.Slots;
                // A few calls beyond the slots wait at the server, so a slot freed at the end of a step is filled at the next
                // one instead of idling while the pool sends the next call (as vLLM's own queue does for real servers).
                var parallel = options.TryGetValue("parallel", out var parallelText) ? ParsePositive(text, "parallel", parallelText) : 2 * slots;
                return new EndpointAddress(text, kind, null, profile.Model, parallel, stream, options);
            }

            default:
            {
                var (baseUri, model) = SplitModel(text, kind, rest);
                var defaultParallel = kind == BackendKind.Ollama ? 4 : 256;
                var parallel = options.TryGetValue("parallel", out var parallelText) ? ParsePositive(text, "parallel", parallelText) : defaultParallel;
                return new EndpointAddress(text, kind, baseUri, model, parallel, stream, options);
            }
        }
    }

    /// <summary>The simulated server's settings (only for <see cref="BackendKind.Simulated"/>).</summary>
    public SimulatedServerOptions SimulatedOptions()
    {
        var name = Text[(Text.IndexOf('=', StringComparison.Ordinal) + 1)..].Split('?')[0].Trim();
        var profile = SimulatedGpuProfile.Named[name];
        if (Options.TryGetValue("slots", out var slots))
        {
            profile = profile.WithSlots(int.Parse(slots, CultureInfo.InvariantCulture));
        }

        if (Options.TryGetValue("cache_blocks", out var blocks))
        {
            profile = profile with { CacheBlocks = ParsePositive(Text, "cache_blocks", blocks) };
        }

        var clock = Options.GetValueOrDefault("clock", "real");
        if (clock is not ("real" or "virtual"))
        {
            throw new FormatException($"endpoint '{Text}': clock must be real or virtual, not '{clock}'");
        }

        var malformed = 0.0;
        if (Options.TryGetValue("malformed", out var malformedText) &&
            (!double.TryParse(malformedText, NumberStyles.Float, CultureInfo.InvariantCulture, out malformed) || malformed is < 0 or > 1))
        {
            throw new FormatException($"endpoint '{Text}': malformed must be a share between 0 and 1, not '{malformedText}'");
        }

        var seed = Options.TryGetValue("seed", out var seedText) ? ulong.Parse(seedText, CultureInfo.InvariantCulture) : 0UL;
        return new SimulatedServerOptions(profile, clock == "virtual", malformed, seed);
    }

    public override string ToString() => Text;

    private static (Uri BaseUri, string Model) SplitModel(string text, BackendKind kind, string rest)
    {
        if (!Uri.TryCreate(rest, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"endpoint '{text}': '{rest}' is not an http(s) URL");
        }

        var path = uri.AbsolutePath.Trim('/');
        string basePath;
        string model;
        if (kind == BackendKind.OpenAi)
        {
            // The model may hold slashes (meta-llama/Llama-3.1-8B-Instruct): everything after /v1/ is the model.
            var v1 = path.IndexOf("v1", StringComparison.Ordinal);
            if (v1 < 0 || (v1 > 0 && path[v1 - 1] != '/') || (v1 + 2 < path.Length && path[v1 + 2] != '/'))
            {
                throw new FormatException($"endpoint '{text}': expected http://HOST:PORT/v1/MODEL");
            }

            basePath = path[..(v1 + 2)];
            model = v1 + 3 <= path.Length ? path[(v1 + 3)..] : string.Empty;
        }
        else
        {
            basePath = string.Empty;
            model = path;
        }

        if (model.Length == 0)
        {
            throw new FormatException($"endpoint '{text}': no model named (expected the model after the address, for example {(kind == BackendKind.Ollama ? "http://localhost:11434/llama3.1:8b" : "http://localhost:8000/v1/MODEL")})");
        }

        var baseUri = new UriBuilder(uri.Scheme, uri.Host, uri.Port, basePath.Length == 0 ? "/" : "/" + basePath + "/").Uri;
        return (baseUri, Uri.UnescapeDataString(model));
    }

    private static int ParsePositive(string text, string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new FormatException($"endpoint '{text}': {key} must be a positive whole number, not '{value}'");

    private static bool ParseBool(string text, string key, string value) =>
        bool.TryParse(value, out var flag) ? flag : throw new FormatException($"endpoint '{text}': {key} must be true or false, not '{value}'");
}
