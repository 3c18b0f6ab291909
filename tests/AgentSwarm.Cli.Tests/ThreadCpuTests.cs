using System.Diagnostics;

namespace AgentSwarm.Cli.Tests;

/// <summary>The bench's reading of its own threads' CPU by name (Linux's /proc), as `bench console` reads OpenTelemetry's exporters.</summary>
public sealed class ThreadCpuTests
{
    [Fact]
    public void ANamedThreadsCpuIsReadAndOtherThreadsAreLeftOut()
    {
        Assert.True(OperatingSystem.IsLinux(), "the tests run on Linux, where /proc tells a thread's CPU");
        using var done = new ManualResetEventSlim();
        using var burnt = new ManualResetEventSlim();
        var burner = new Thread(() =>
        {
            // Half a second of CPU, bounded by the clock, then wait to be read.
            var clock = Stopwatch.StartNew();
            var x = 0UL;
            while (clock.ElapsedMilliseconds < 500)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }

            GC.KeepAlive(x);
            burnt.Set();
            done.Wait(TimeSpan.FromSeconds(30));
        })
        { Name = "AgentSwarmBurn", IsBackground = true };
        burner.Start();
        Assert.True(burnt.Wait(TimeSpan.FromSeconds(30)));

        var read = ThreadCpu.OfThreadsNamed("AgentSwarmBurn");
        var none = ThreadCpu.OfThreadsNamed("NoThreadIsNamedLikeThis");
        done.Set();
        burner.Join();

        // On a busy machine the thread may have had less than its half second of wall time on a core, but never none.
        Assert.NotNull(read);
        Assert.InRange(read.Value.TotalSeconds, 0.02, 0.6);
        Assert.Equal(TimeSpan.Zero, none);
    }
}
