namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// The random stream of CPython's <c>random.Random(seed)</c>: MT19937 seeded by init_by_array with the seed's 32-bit
/// words, <c>randint</c> and <c>choice</c> by rejection sampling of <c>getrandbits</c>. SwarmBench's reference draws
/// its maps with it, so the same seed gives the same initial world here as there.
/// </summary>
public sealed class PythonRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index = N + 1;

    public PythonRandom(ulong seed)
    {
        // Python splits abs(seed) into 32-bit words, least significant first; 0 is one word of 0.
        var key = seed >> 32 == 0 ? new[] { (uint)seed } : new[] { (uint)seed, (uint)(seed >> 32) };
        InitByArray(key);
    }

    /// <summary>The generator's state (624 words, then the position), to carry the stream from one round to the next.</summary>
    public uint[] Save()
    {
        var saved = new uint[N + 1];
        _state.CopyTo(saved, 0);
        saved[N] = (uint)_index;
        return saved;
    }

    /// <summary>A generator that goes on from a state <see cref="Save"/> returned.</summary>
    public static PythonRandom Restore(uint[] saved)
    {
        if (saved.Length != N + 1)
        {
            throw new ArgumentException($"a saved state has {N + 1} words, not {saved.Length}", nameof(saved));
        }

        var random = new PythonRandom(0);
        Array.Copy(saved, random._state, N);
        random._index = (int)saved[N];
        return random;
    }

    /// <summary>A uniform integer in [<paramref name="low"/>, <paramref name="high"/>], both included (Python's randint).</summary>
    public int RandInt(int low, int high)
    {
        if (high < low)
        {
            throw new ArgumentOutOfRangeException(nameof(high), $"empty range for randint({low}, {high})");
        }

        return low + Below(high - low + 1);
    }

    /// <summary>One of <paramref name="items"/>, as Python's choice picks it.</summary>
    public T Choice<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    /// <summary>Python's _randbelow: k = bit length of n, draw k bits until the value is below n.</summary>
    public int Below(int n)
    {
        if (n <= 0)
        {
            return 0;
        }

        var bits = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);
        while (true)
        {
            var r = (int)(NextUInt32() >> (32 - bits));
            if (r < n)
            {
                return r;
            }
        }
    }

    public uint NextUInt32()
    {
        if (_index >= N)
        {
            Twist();
        }

        var y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void InitGenrand(uint s)
    {
        _state[0] = s;
        for (var i = 1; i < N; i++)
        {
            _state[i] = 1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i;
        }

        _index = N;
    }

    private void InitByArray(uint[] key)
    {
        InitGenrand(19650218u);
        int i = 1, j = 0;
        for (var k = Math.Max(N, key.Length); k > 0; k--)
        {
            _state[i] = (_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++;
            j++;
            if (i >= N)
            {
                _state[0] = _state[N - 1];
                i = 1;
            }

            if (j >= key.Length)
            {
                j = 0;
            }
        }

        for (var k = N - 1; k > 0; k--)
        {
            _state[i] = (_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= N)
            {
                _state[0] = _state[N - 1];
                i = 1;
            }
        }

        _state[0] = 0x80000000u;
        _index = N;
    }

    private void Twist()
    {
        for (var k = 0; k < N; k++)
        {
            var y = (_state[k] & 0x80000000u) | (_state[(k + 1) % N] & 0x7fffffffu);
            var next = _state[(k + M) % N] ^ (y >> 1);
            _state[k] = (y & 1) != 0 ? next ^ 0x9908b0dfu : next;
        }

        _index = 0;
    }
}
