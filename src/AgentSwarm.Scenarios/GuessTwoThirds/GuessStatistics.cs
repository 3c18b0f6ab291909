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
    public static GuessRoundStats Compute(GuessTwoThirdsConfig config, ReadOnlySpan<long> sortedTicks, long invalid)
    {
        var n = sortedTicks.Length;
        var histogram = new long[config.HistogramBins];
        if (n == 0)
        {
            return new GuessRoundStats(double.NaN, 0, invalid, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, histogram);
        }

        Int128 sum = 0;
        Int128 sumSquares = 0;
        var binWidth = config.Max * TickScale / config.HistogramBins;
        foreach (var t in sortedTicks)
        {
            sum += t;
            sumSquares += (Int128)t * t;
            histogram[Math.Min(config.HistogramBins - 1, (int)(t / binWidth))]++;
        }

        var mean = (double)sum / n / TickScale;
        var median = n % 2 == 1
            ? FromTicks(sortedTicks[n / 2])
            : ((double)sortedTicks[n / 2 - 1] + sortedTicks[n / 2]) / 2 / TickScale;

        // n * sum(x^2) - (sum x)^2 can pass 128 bits at 100M agents: combine in BigInteger, once per round.
        var spread = (BigInteger)n * (BigInteger)sumSquares - (BigInteger)sum * (BigInteger)sum;
        var std = Math.Sqrt((double)spread) / n / TickScale;
        var target = config.TargetFor(mean);

        var (winningTicks, winners) = Closest(sortedTicks, target * TickScale);
        return new GuessRoundStats(
            target,
            n,
            invalid,
            mean,
            median,
            std,
            FromTicks(sortedTicks[0]),
            FromTicks(sortedTicks[^1]),
            FromTicks(winningTicks),
            winners,
            histogram);
    }

    /// <summary>The guess closest to the target (the lower one on a tie of distance) and how many agents share the least distance.</summary>
    private static (long Ticks, long Count) Closest(ReadOnlySpan<long> sorted, double targetTicks)
    {
        var at = LowerBound(sorted, targetTicks);
        var best = double.PositiveInfinity;
        for (var i = Math.Max(0, at - 1); i <= Math.Min(sorted.Length - 1, at); i++)
        {
            best = Math.Min(best, Math.Abs(sorted[i] - targetTicks));
        }

        long winningTicks = 0;
        long count = 0;
        var first = true;
        foreach (var candidate in new[] { at - 1, at })
        {
            if (candidate < 0 || candidate >= sorted.Length || Math.Abs(sorted[candidate] - targetTicks) != best)
            {
                continue;
            }

            var value = sorted[candidate];
            if (first)
            {
                winningTicks = value;
                first = false;
            }

            count += EqualRange(sorted, value);
        }

        return (winningTicks, count);
    }

    /// <summary>First index whose value is >= x.</summary>
    private static int LowerBound(ReadOnlySpan<long> sorted, double x)
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

    private static long EqualRange(ReadOnlySpan<long> sorted, long value)
    {
        var start = LowerBound(sorted, value);
        var end = start;
        while (end < sorted.Length && sorted[end] == value)
        {
            end++;
        }

        return end - start;
    }

    /// <summary>Merges ascending runs into one ascending array.</summary>
    public static long[] MergeSorted(IReadOnlyList<long[]> runs)
    {
        var total = 0;
        foreach (var run in runs)
        {
            total = checked(total + run.Length);
        }

        var merged = new long[total];
        var queue = new PriorityQueue<int, long>(runs.Count);
        var positions = new int[runs.Count];
        for (var r = 0; r < runs.Count; r++)
        {
            if (runs[r].Length > 0)
            {
                queue.Enqueue(r, runs[r][0]);
            }
        }

        var write = 0;
        while (queue.TryDequeue(out var r, out var value))
        {
            merged[write++] = value;
            var next = ++positions[r];
            var run = runs[r];

            // Copy a stretch of this run while it stays below every other run's head: cheap when runs barely overlap.
            var limit = queue.TryPeek(out _, out var head) ? head : long.MaxValue;
            while (next < run.Length && run[next] <= limit)
            {
                merged[write++] = run[next++];
            }

            positions[r] = next;
            if (next < run.Length)
            {
                queue.Enqueue(r, run[next]);
            }
        }

        return merged;
    }
}
