using System.Diagnostics;
using System.Globalization;

namespace AgentSwarm.Hosting;

/// <summary>Resident memory of this process: from /proc/self/status on Linux, else what Process reports.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM).</summary>
    public static long PeakRss() => ReadStatus("VmHWM:") ?? Current().PeakWorkingSet64;

    /// <summary>Another process's peak resident set size (VmHWM; Linux only, else null), for benchmarks that start silos.</summary>
    public static long? PeakRss(int processId) => ReadStatus("VmHWM:", $"/proc/{processId}/status");

    /// <summary>Resident set size now (VmRSS).</summary>
    public static long CurrentRss() => ReadStatus("VmRSS:") ?? Current().WorkingSet64;

    private static Process Current()
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        return process;
    }

    private static long? ReadStatus(string field, string path = "/proc/self/status")
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kilobytes = line[field.Length..].Trim().Split(' ')[0];
                    return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Fall back to the portable figure.
        }

        return null;
    }
}
