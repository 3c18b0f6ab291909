using System.Net.Http.Json;
using System.Text.Json;
using AgentSwarm.Hosting;
using AgentSwarm.Testing;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Web.Tests;

/// <summary>
/// One console on an embedded silo for the whole test assembly, on a free loopback port, serving a copy of the
/// repository's scenarios folder and writing runs into a temporary folder.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "agentswarm-console-" + Guid.NewGuid().ToString("N")[..8]);

    public ConsoleServer Server { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string Address => Server.Addresses[0].TrimEnd('/');

    public string Scenarios => Path.Combine(Root, "scenarios");

    public string Runs => Path.Combine(Root, "runs");

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public async Task InitializeAsync()
    {
        CopyFolder(Path.Combine(Repository.Root(), "scenarios"), Scenarios);
        Server = await StartAsync(new ConsoleOptions { Urls = "http://127.0.0.1:0", Scenarios = Scenarios, Runs = Runs, ResourceService = "http://127.0.0.1:0" });
        Http = new HttpClient { BaseAddress = new Uri(Address) };
    }

    public static async Task<ConsoleServer> StartAsync(ConsoleOptions options)
    {
        var (settings, defaults) = EmbeddedSilo.Configuration(LogLevel.Warning);
        return await ConsoleServer.StartAsync(settings, options, defaults, CancellationToken.None);
    }

    /// <summary>Starts a run through the API and returns its id.</summary>
    public async Task<string> LaunchAsync(object request)
    {
        var response = await Http.PostAsJsonAsync("/api/runs", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"launch answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Follows a run's event stream to its end event and returns the run as that event gives it.</summary>
    public async Task<JsonElement> WaitForEndAsync(string id, TimeSpan? limit = null)
    {
        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(2));
        await using var stream = await Http.GetStreamAsync($"/api/runs/{id}/events", timeout.Token);
        using var reader = new StreamReader(stream);
        string? name = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name == "end")
            {
                return JsonDocument.Parse(line[6..]).RootElement.Clone();
            }
        }

        throw new InvalidOperationException($"the event stream of run {id} ended without an end event");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left to the temp cleaner.
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "console";
}
