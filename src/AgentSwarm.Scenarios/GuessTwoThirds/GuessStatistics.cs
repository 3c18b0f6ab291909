using System.Buffers;
using System.Numerics;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>
/// Exact round statistics. Guesses are counted at a resolution of 2^-32 ("ticks"), so sums and sums of squares
/// are exact integers and every statistic is the same whatever the partitioning or the order of reduction.
/// </summary>
public static class GuessStatistics
{
    /// <summary>Ticks per unit: guesses are recorded to 2^-32 (about 2.3e-10).</summary>
    public const double TickScale = 4294967296.0;

    public static bool IsValid(double guess, double max) => guess >= 0 && guess <= max;

    public static long ToTicks(double guess) => (long)Math.Round(guess * TickScale, MidpointRounding.ToEven);

    public static double FromTicks(long ticks) => ticks / TickScale;

    /// <summary>Statistics of valid guesses given as ascending ticks.</summary>
    public static GuessRoundStats Compute(GuessTwoThirdsConfig config, long[] sortedTicks, long invalid) =>
        Compute(config, [Partial(config, sortedTicks, 0)], invalid);

    /// <summary>A partition's partial: its guesses' ticks (sorted here, in place), sums and histogram.</summary>
    public static GuessPartial Partial(GuessTwoThirdsConfig config, long[] ticks, int invalid)
    {
        SortTicks(ticks);
        Int128 sum = 0;
        Int128 sumSquares = 0;
        var histogram = new long[config.HistogramBins];
        var binWidth = BinWidth(config);
        foreach (var t in ticks)
        {
            sum += t;
            sumSquares += (Int128)t * t;
            histogram[Bin(config, binWidth, t)]++;
        }

        return new GuessPartial(ticks, invalid, sum, sumSquares, histogram);
    }

    /// <summary>The histogram bin a valid guess of these ticks falls in: bins split [0, max] evenly, the last includes max.</summary>
    public static int Bin(GuessTwoThirdsConfig config, long ticks) => Bin(config, BinWidth(config), ticks);

    private static double BinWidth(GuessTwoThirdsConfig config) => config.Max * TickScale / config.HistogramBins;

    private static int Bin(GuessTwoThirdsConfig config, double binWidth, long ticks) => Math.Min(config.HistogramBins - 1, (int)(ticks / binWidth));

    /// <summary>
    /// Sorts non-negative ticks ascending: a least-significant-digit radix sort over as many 11-bit digits as the
    /// largest value needs (four for guesses up to 100), several times faster than a comparison sort at a partition's
    /// hundred thousand guesses, which is most of a reduction's cost.
    /// </summary>
    public static void SortTicks(long[] ticks)
    {
        const int DigitBits = 11;
        const int Mask = (1 << DigitBits) - 1;
        long any = 0;
        foreach (var t in ticks)
        {
            any |= t;
        }

        if (ticks.Length < 4096 || any < 0)
        {
            Array.Sort(ticks);
            return;
        }

        var bits = 64 - BitOperations.LeadingZeroCount((ulong)any);
        var scratch = ArrayPool<long>.Shared.Rent(ticks.Length);
        try
        {
            var counts = new int[1 << DigitBits];
            var from = ticks;
            var to = scratch;
            for (var shift = 0; shift < bits; shift += DigitBits)
            {
                Array.Clear(counts);
                for (var i = 0; i < ticks.Length; i++)
                {
                    counts[(int)(from[i] >> shift) & Mask]++;
                }

                var start = 0;
                for (var d = 0; d < counts.Length; d++)
                {
                    var count = counts[d];
                    counts[d] = start;
                    start += count;
                }

                for (var i = 0; i < ticks.Length; i++)
                {
                    var t = from[i];
                    to[counts[(int)(t >> shift) & Mask]++] = t;
                }

                (from, to) = (to, from);
            }

            if (!ReferenceEquals(from, ticks))
            {
                Array.Copy(from, ticks, ticks.Length);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The round's statistics from every partition's partial. Order statistics (median, closest guess) are found by
    /// searching the sorted runs where they are, never by merging them, so the controller's share of a round is
    /// O(partitions x log agents) besides adding up the sums; the result is the same as on one merged run, bit for bit.
    /// </summary>
    public static GuessRoundStats Compute(GuessTwoThirdsConfig config, IReadOnlyList<GuessPartial> parts, long invalid)
    {
        long n = 0;
        Int128 sum = 0;
        Int128 sumSquares = 0;
        var histogram = new long[config.HistogramBins];
        long min = long.MaxValue, max = long.MinValue;
        foreach (var part in parts)
        {
            var run = part.SortedTicks;
            if (run.Length == 0)
            {
                continue;
            }

            n += run.Length;
            sum += part.Sum;
            sumSquares += part.SumSquares;
            for (var b = 0; b < histogram.Length; b++)
            {
                histogram[b] += part.Histogram[b];
            }

            min = Math.Min(min, run[0]);
            max = Math.Max(max, run[^1]);
        }

        if (n == 0)
        {
            return new GuessRoundStats(double.NaN, 0, invalid, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, histogram);
        }

        var runs = parts.Select(p => p.SortedTicks).Where(r => r.Length > 0).ToArray();
        var mean = (double)sum / n / TickScale;
        var median = n % 2 == 1
            ? FromTicks(Select(runs, n / 2, min, max))
            : ((double)Select(runs, n / 2 - 1, min, max) + Select(runs, n / 2, min, max)) / 2 / TickScale;

        // n * sum(x^2) - (sum x)^2 can pass 128 bits at 100M agents: combine in BigInteger, once per round.
        var spread = (BigInteger)n * (BigInteger)sumSquares - (BigInteger)sum * (BigInteger)sum;
        var std = Math.Sqrt((double)spread) / n / TickScale;
        var target = config.TargetFor(mean);

        var (winningTicks, winners) = Closest(runs, target * TickScale);
        return new GuessRoundStats(
            target,
            n,
            invalid,
            mean,
            median,
            std,
            FromTicks(min),
            FromTicks(max),
            FromTicks(winningTicks),
            winners,
            histogram);
    }

    /// <summary>The k-th smallest (0-based) of all the runs' values: the least value v with more than k values at most v.</summary>
    private static long Select(long[][] runs, long k, long lo, long hi)
    {
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            long atMost = 0;
            foreach (var run in runs)
            {
                atMost += UpperBound(run, mid);
            }

            if (atMost > k)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>
    /// The guess closest to the target (the lower one on a tie of distance) and how many agents share the least
    /// distance: the candidates are the largest value below the target and the smallest at or above it, over all runs.
    /// </summary>
    private static (long Ticks, long Count) Closest(long[][] runs, double targetTicks)
    {
        long? below = null, above = null;
        foreach (var run in runs)
        {
            var at = LowerBound(run, targetTicks);
            if (at > 0 && (below is null || run[at - 1] > below))
            {
                below = run[at - 1];
            }

            if (at < run.Length && (above is null || run[at] < above))
            {
                above = run[at];
            }
        }

        var best = Math.Min(
            below is { } b ? Math.Abs(b - targetTicks) : double.PositiveInfinity,
            above is { } a ? Math.Abs(a - targetTicks) : double.PositiveInfinity);
        long winningTicks = 0;
        long count = 0;
        var first = true;
        foreach (var candidate in new[] { below, above })
        {
            if (candidate is not { } value || Math.Abs(value - targetTicks) != best)
            {
                continue;
            }

            if (first)
            {
                winningTicks = value;
                first = false;
            }

            foreach (var run in runs)
            {
                count += UpperBound(run, value) - LowerBound(run, value);
            }
        }

        return (winningTicks, count);
    }

    /// <summary>First index whose value is >= x.</summary>
    private static int LowerBound(long[] sorted, double x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>First index whose value is > x.</summary>
    private static int UpperBound(long[] sorted, long x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= x)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
