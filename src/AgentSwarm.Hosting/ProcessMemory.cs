using System.Diagnostics;
using System.Globalization;

namespace AgentSwarm.Hosting;

/// <summary>Resident memory of this process: from /proc/self/status on Linux, else what Process reports.</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM).</summary>
    public static long PeakRss() => ReadStatus("VmHWM:") ?? Current().PeakWorkingSet64;

    /// <summary>Resident set size now (VmRSS).</summary>
    public static long CurrentRss() => ReadStatus("VmRSS:") ?? Current().WorkingSet64;

    private static Process Current()
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        return process;
    }

    private static long? ReadStatus(string field)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
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
