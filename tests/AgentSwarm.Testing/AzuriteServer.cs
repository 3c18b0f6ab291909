using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

using AgentSwarm.Hosting;

namespace AgentSwarm.Testing;

/// <summary>
/// A real Azurite table service (the Azure Storage emulator, from npm: tools/azurite) on a free loopback port, started
/// for a test and stopped after it, with its data in a temporary folder that goes with it. A machine without node or
/// without Azurite installed fails the test with the command that installs it: storage tests never skip.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, the same in every Azurite).</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string TableService = "tools/azurite/node_modules/azurite/dist/src/table/main.js";

    private readonly Process _process;
    private readonly string _location;

    private AzuriteServer(Process process, int port, string location)
    {
        _process = process;
        _location = location;
        Port = port;
    }

    public int Port { get; }

    public Uri TableEndpoint => new($"http://127.0.0.1:{Port}/{AccountName}");

    /// <summary>The connection string Azure.Data.Tables takes for this server.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={TableEndpoint};";

    public static async Task<AzuriteServer> StartAsync()
    {
        var root = Repository.Root();
        var script = Path.Combine(root, TableService);
        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed ({script} is missing): run tools/test (the README's test command installs it), or npm ci --prefix tools/azurite in {root}");
        }

        var node = RedisServer.FindExecutable("node")
            ?? throw new InvalidOperationException("node is not installed (Azurite runs on it): run tools/test (the README's test command installs it), or apt-get install -y nodejs npm");
        var port = RedisServer.FreePort();
        var location = Directory.CreateTempSubdirectory("agentswarm-azurite-").FullName;
        var start = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = location,
        };
        foreach (var argument in new[]
        {
            script, "--tableHost", "127.0.0.1", "--tablePort", port.ToString(CultureInfo.InvariantCulture), "--location", location,
            "--silent", "--skipApiVersionCheck", "--disableTelemetry",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite (node) did not start");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new AzuriteServer(process, port, location);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode}: {output}");
            }

            if (await server.AnswersAsync(http))
            {
                return server;
            }

            await Task.Delay(50);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"Azurite on port {port} did not answer within 30 s: {output}");
    }

    /// <summary>Any HTTP answer from Azurite counts (an unsigned request gets 403): the service is listening.</summary>
    private async Task<bool> AnswersAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(TableEndpoint, $"/{AccountName}/Tables"));
            return response.Headers.Server.ToString().Contains("Azurite", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_location, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file still held open is left to the temp cleaner; the test's result does not depend on it.
        }
    }
}
