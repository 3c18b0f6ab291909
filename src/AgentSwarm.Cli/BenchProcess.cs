using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AgentSwarm.Cli;

/// <summary>Runs one benchmark case in a process of its own (a clean heap and peak RSS each) and reads back its JSON line.</summary>
internal static class BenchProcess
{
    /// <summary>Runs `agentswarm ARGS` and returns the stdout line starting with <paramref name="jsonPrefix"/>; null (with the child's output written to <paramref name="error"/>) when it failed.</summary>
    public static async Task<JsonObject?> RunAsync(IEnumerable<string> args, string jsonPrefix, string label, TextWriter error, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BenchProcess).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the benchmark process");
        await using var _ = cancellationToken.Register(() => child.Kill(entireProcessTree: true));
        var stdout = await child.StandardOutput.ReadToEndAsync(CancellationToken.None);
        await child.WaitForExitAsync(CancellationToken.None);
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith(jsonPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            await error.WriteLineAsync($"error: {label} exited with code {child.ExitCode}");
            await error.WriteLineAsync(stdout);
            return null;
        }

        return JsonNode.Parse(line)!.AsObject();
    }
}
