using System.Diagnostics;

namespace AgentSwarm.Inference.Simulated;

/// <summary>
/// Times the simulated server's own work, so benchmarks count the engine's CPU per call without the stand-in for a GPU
/// server that, in a real deployment, runs elsewhere. The sections it times never wait (no await, no blocking call),
/// so their wall time is their CPU time, read from the monotonic clock (a vDSO read). A thread CPU clock would be
/// exact, but reading one is a system call: at four reads a call it cost this 2-core machine more than the sections
/// it measured, and the engine's figure paid for half of it.
/// </summary>
internal static class WorkClock
{
    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>Nanoseconds since <paramref name="started"/> (a value of <see cref="Now"/>).</summary>
    public static long Since(long started) => (long)Stopwatch.GetElapsedTime(started).TotalNanoseconds;
}
