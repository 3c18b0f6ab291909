namespace AgentSwarm.Engine;

/// <summary>
/// A small, fast random stream (xoshiro256**) whose start depends only on (seed, agent, round, stream),
/// so an agent draws the same numbers wherever it lives and in whatever order agents are stepped.
/// </summary>
public struct AgentRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    private AgentRandom(ulong key)
    {
        _s0 = SplitMix(ref key);
        _s1 = SplitMix(ref key);
        _s2 = SplitMix(ref key);
        _s3 = SplitMix(ref key);
        _spare = 0;
        _hasSpare = false;
    }

    /// <summary>The stream of one agent in one round. Round 0 is the population's set-up (profiles).</summary>
    public static AgentRandom For(ulong seed, long agent, int round, int stream = 0)
    {
        // Scramble the seed before folding in the agent, or (seed ^ agent) would repeat across seeds.
        var key = Mix(seed + 0x9E3779B97F4A7C15UL);
        key = Mix(key ^ 0x243F6A8885A308D3UL ^ (ulong)agent);
        key = Mix(key ^ 0x13198A2E03707344UL ^ (ulong)(uint)round);
        key = Mix(key ^ 0xA4093822299F31D0UL ^ (ulong)(uint)stream);
        return new AgentRandom(key);
    }

    /// <summary>A stream for whole-run work (building the graph), separate from every agent's.</summary>
    public static AgentRandom ForRun(ulong seed, int purpose) => For(seed, -1L - purpose, 0);

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound), without modulo bias.</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var b = (uint)bound;
        var threshold = unchecked(0u - b) % b;
        while (true)
        {
            var m = (NextUInt64() >> 32) * b;
            if ((uint)m >= threshold)
            {
                return (int)(m >> 32);
            }
        }
    }

    /// <summary>Standard normal (Marsaglia's polar method), deterministic for the stream.</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u, v, s;
        do
        {
            u = NextDouble() * 2 - 1;
            v = NextDouble() * 2 - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);
        var f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
