using System.Globalization;

namespace AgentSwarm.Cli;

/// <summary>The CPU time of this process's threads by name, from Linux's /proc (a bench's view of its own threads).</summary>
internal static class ThreadCpu
{
    // Linux reports thread times in clock ticks of USER_HZ, 100 a second on every architecture it runs .NET on.
    private const double TicksPerSecond = 100;

    /// <summary>User plus system CPU of the live threads whose name starts with <paramref name="prefix"/>; null off Linux.</summary>
    public static TimeSpan? OfThreadsNamed(string prefix)
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks))
        {
            return null;
        }

        long ticks = 0;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                // "tid (name) state ppid ...": the name may hold spaces, so fields are counted after its closing parenthesis;
                // utime and stime are the 14th and 15th fields, the 12th and 13th after it.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
