using System.Runtime.InteropServices;

namespace AgentSwarm.Inference.Simulated;

/// <summary>
/// The calling thread's own CPU time, so an in-process simulated server can say what it cost: benchmarks count the
/// engine's CPU per call without the stand-in for a GPU server that, in a real deployment, runs elsewhere.
/// </summary>
internal static partial class ThreadCpu
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Nanoseconds of CPU the calling thread has used, or -1 where this platform does not tell.</summary>
    public static long Now()
    {
        if (_unavailable)
        {
            return -1;
        }

        try
        {
            return ClockGetTime(ThreadCpuClock, out var time) == 0 ? (time.Seconds * 1_000_000_000) + time.Nanoseconds : -1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return -1;
        }
    }

    /// <summary>CPU nanoseconds since <paramref name="started"/> (a value of <see cref="Now"/>), 0 when unknown.</summary>
    public static long Since(long started) => started < 0 ? 0 : Math.Max(0, Now() - started);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
