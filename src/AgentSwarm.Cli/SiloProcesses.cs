using System.Diagnostics;
using System.Globalization;
using System.Text;
using AgentSwarm.Hosting;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm silo` processes of one cluster on this machine, on Redis membership and free loopback ports: what
/// `bench cluster` measures and the cluster tests kill. Disposing kills whatever is left.
/// </summary>
internal sealed class SiloProcesses : IAsyncDisposable
{
    private readonly Process?[] _silos;
    private readonly RedisServer _redis;
    private readonly string _storage;
    private readonly int _checkpointEvery;
    private readonly string _logRoot;
    private readonly string? _dll;
    private readonly StringBuilder _log = new();

    private SiloProcesses(int count, RedisServer redis, string storage, int checkpointEvery, string logRoot, string? dll)
    {
        _dll = dll;
        _silos = new Process?[count];
        SiloPorts = [.. Enumerable.Range(0, count).Select(_ => RedisServer.FreePort())];
        _redis = redis;
        _storage = storage;
        _checkpointEvery = checkpointEvery;
        _logRoot = logRoot;
    }

    public int[] SiloPorts { get; }

    public string Cluster => $"redis={_redis.Address}";

    /// <summary>Starts <paramref name="count"/> silos, each storing run state in <paramref name="storage"/> (a --storage value).</summary>
    /// <param name="dll">The agentswarm.dll to run with `dotnet` (tests pass the repository's build); by default this process's own command.</param>
    public static async Task<SiloProcesses> StartAsync(int count, RedisServer redis, string storage, int checkpointEvery, string logRoot, TextWriter? progress, CancellationToken cancellationToken, string? dll = null)
    {
        var silos = new SiloProcesses(count, redis, storage, checkpointEvery, logRoot, dll);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await silos.StartSiloAsync(i, cancellationToken);
                progress?.WriteLine($"  silo {i} up on port {silos.SiloPorts[i]}");
            }
        }
        catch
        {
            await silos.DisposeAsync();
            throw;
        }

        return silos;
    }

    /// <summary>Starts silo <paramref name="i"/> (again, after a kill) and waits until it says it is up (at most 90 s).</summary>
    public async Task StartSiloAsync(int i, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(_dll is null ? Environment.ProcessPath ?? "dotnet" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(_dll ?? typeof(SiloProcesses).Assembly.Location);
        }

        foreach (var argument in new[]
        {
            "silo", "--cluster", Cluster, "--storage", _storage, "--silo-port", SiloPorts[i].ToString(CultureInfo.InvariantCulture),
            "--gateway-port", RedisServer.FreePort().ToString(CultureInfo.InvariantCulture), "--log-root", _logRoot,
            "--checkpoint-every", _checkpointEvery.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start agentswarm silo");
        var up = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            Append($"[silo {i}] {e.Data}");
            if (e.Data?.Contains("is up", StringComparison.Ordinal) == true)
            {
                up.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => Append($"[silo {i} err] {e.Data}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _silos[i] = process;
        try
        {
            await Task.WhenAny(up.Task, process.WaitForExitAsync(cancellationToken)).WaitAsync(TimeSpan.FromSeconds(90), cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        if (!up.Task.IsCompleted)
        {
            throw new InvalidOperationException($"silo {i} did not come up within 90 s: {Log()}");
        }
    }

    public async Task<ClusterConnection> ConnectAsync(CancellationToken cancellationToken) =>
        await ClusterConnection.ConnectAsync(ClusterAddress.TryParse(Cluster, out var address, out _) ? address : throw new InvalidOperationException(Cluster), null, null, TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>SIGTERM, as an orchestrator stops a silo: it leaves the cluster gracefully. Waits (bounded) for it to exit.</summary>
    public async Task StopAsync(int i)
    {
        using var signal = Process.Start("kill", ["-TERM", _silos[i]!.Id.ToString(CultureInfo.InvariantCulture)]) ?? throw new InvalidOperationException("could not run kill");
        await signal.WaitForExitAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _silos[i]!.WaitForExitAsync(bound.Token);
    }

    /// <summary>Silo <paramref name="i"/>'s exit code, once it has exited.</summary>
    public int ExitCode(int i) => _silos[i]!.ExitCode;

    /// <summary>kill -9: no goodbye to the cluster.</summary>
    public void Kill(int i)
    {
        _silos[i]!.Kill(entireProcessTree: true);
        _silos[i]!.WaitForExit();
    }

    /// <summary>Each live silo's peak resident set size (0 where it cannot be read).</summary>
    public long[] PeakRss() => [.. _silos.Select(s => s is { HasExited: false } ? ProcessMemory.PeakRss(s.Id) ?? 0 : 0)];

    /// <summary>The last lines the silos wrote, for error messages.</summary>
    public string Log()
    {
        lock (_log)
        {
            var text = _log.ToString();
            return text.Length > 6000 ? text[^6000..] : text;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            if (silo is { HasExited: false })
            {
                silo.Kill(entireProcessTree: true);
                await silo.WaitForExitAsync();
            }

            silo?.Dispose();
        }
    }

    private void Append(string line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
