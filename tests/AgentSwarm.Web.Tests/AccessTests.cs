using System.Net;

namespace AgentSwarm.Web.Tests;

public sealed class AccessTests
{
    [Theory]
    [InlineData("http://localhost:5180", true)]
    [InlineData("http://127.0.0.1:0;http://[::1]:5181", true)]
    [InlineData("http://0.0.0.0:5180", false)]
    [InlineData("http://*:5180", false)]
    [InlineData("http://192.168.1.20:5180", false)]
    [InlineData("http://localhost:5180;http://10.0.0.5:5180", false)]
    public void OnlyLoopbackAddressesMayServeWithoutAToken(string urls, bool loopback) =>
        Assert.Equal(loopback, ConsoleAccess.LoopbackOnly(urls));

    [Fact]
    public async Task AnAddressThatIsNotOneIsRefusedBeforeAnythingStarts()
    {
        var problem = await Assert.ThrowsAsync<ConsoleProblem>(() => ConsoleFixture.StartAsync(new ConsoleOptions { Urls = "localhost:5180" }));
        Assert.Contains("'localhost:5180' is not an http:// or https:// address", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithATokenEveryPageAndApiCallNeedsIt()
    {
        var root = Path.Combine(Path.GetTempPath(), "agentswarm-token-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = await ConsoleFixture.StartAsync(new ConsoleOptions { Urls = "http://127.0.0.1:0", Token = "s3cret-token", Scenarios = root, Runs = root, OrleansDashboard = true });
        var address = new Uri(server.Addresses[0]);
        using var bare = new HttpClient { BaseAddress = address };
        foreach (var path in new[] { "/api/runs", "/api/scenarios", "/", "/assets/app.js", "/orleans/" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await bare.GetAsync(path)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await bare.GetAsync("/api/runs?token=wrong")).StatusCode);
        using var wrongBearer = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { { "Authorization", "Bearer wrong" } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await bare.SendAsync(wrongBearer)).StatusCode);

        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/runs") { Headers = { { "Authorization", "Bearer s3cret-token" } } };
        Assert.Equal(HttpStatusCode.OK, (await bare.SendAsync(bearer)).StatusCode);

        // The printed link (?token=) sets a cookie, which the page's own calls then carry.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = address };
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/?token=s3cret-token")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/scenarios")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/orleans/")).StatusCode);
        Assert.EndsWith("?token=s3cret-token", server.Link, StringComparison.Ordinal);
        Assert.False(server.TokenGenerated);
    }

    [Fact]
    public async Task StartingWatchesNoFolderUnderItsContentRoot()
    {
        // A file watcher on Linux watches every folder below its root, found by walking them all: a console started in
        // a home folder must not do that (its configuration is read once). Checked against the kernel's own list of
        // this process's inotify watches, by the folders' inode numbers.
        var root = Path.Combine(Path.GetTempPath(), "agentswarm-watch-" + Guid.NewGuid().ToString("N")[..8]);
        for (var i = 0; i < 20; i++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"d{i}", "inner"));
        }

        var (settings, defaults) = AgentSwarm.Hosting.EmbeddedSilo.Configuration(Microsoft.Extensions.Logging.LogLevel.Warning);
        try
        {
            var folders = await InodesAsync(root);
            Assert.Equal(41, folders.Count);
            await using var server = await ConsoleServer.StartAsync(settings with { ContentRoot = root }, cluster: false, defaults, CancellationToken.None);
            using var http = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/info")).StatusCode);
            var watched = WatchedInodes();
            Assert.Empty(watched.Intersect(folders));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The inode numbers of a folder and every folder below it.</summary>
    private static async Task<HashSet<ulong>> InodesAsync(string root)
    {
        using var find = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("find", [root, "-type", "d", "-printf", "%i\n"]) { RedirectStandardOutput = true })!;
        var text = await find.StandardOutput.ReadToEndAsync();
        await find.WaitForExitAsync();
        Assert.Equal(0, find.ExitCode);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ulong.Parse)];
    }

    /// <summary>The inodes this process's inotify instances watch (<c>/proc/self/fdinfo</c>: "inotify wd:.. ino:HEX ...").</summary>
    private static HashSet<ulong> WatchedInodes()
    {
        var inodes = new HashSet<ulong>();
        foreach (var file in Directory.EnumerateFiles("/proc/self/fdinfo"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (IOException)
            {
                continue; // The descriptor closed meanwhile.
            }

            foreach (var line in lines.Where(l => l.StartsWith("inotify wd:", StringComparison.Ordinal)))
            {
                var ino = line.Split(' ').First(part => part.StartsWith("ino:", StringComparison.Ordinal))[4..];
                inodes.Add(ulong.Parse(ino, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return inodes;
    }

    [Fact]
    public async Task SettingsComeFromAppSettingsAndEnvironmentAndTheCommandLineOverridesThem()
    {
        // appsettings.json in the silo's content root gives the address, a token, the folders and the dashboard; the
        // command line's keys (SiloSettings.More, as `agentswarm console --token` sets them) win over it.
        var root = Path.Combine(Path.GetTempPath(), "agentswarm-config-" + Guid.NewGuid().ToString("N")[..8]);
        var scenarios = Directory.CreateDirectory(Path.Combine(root, "my-scenarios")).FullName;
        await File.WriteAllTextAsync(Path.Combine(scenarios, "a.yaml"), "scenario: guess-two-thirds\nagents: 10\n");
        await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), $$"""
            { "AgentSwarm": { "Console": { "Urls": "http://127.0.0.1:0", "Token": "from-appsettings", "Scenarios": "{{scenarios.Replace("\\", "/", StringComparison.Ordinal)}}", "Runs": "{{Path.Combine(root, "my-runs").Replace("\\", "/", StringComparison.Ordinal)}}", "OrleansDashboard": true } } }
            """);
        var (settings, defaults) = AgentSwarm.Hosting.EmbeddedSilo.Configuration(Microsoft.Extensions.Logging.LogLevel.Warning);
        try
        {
            await using (var server = await ConsoleServer.StartAsync(settings with { ContentRoot = root }, cluster: false, defaults, CancellationToken.None))
            {
                using var http = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/info")).StatusCode);
                using var info = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/info") { Headers = { { "Authorization", "Bearer from-appsettings" } } });
                var body = System.Text.Json.JsonDocument.Parse(await info.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(scenarios, body.GetProperty("scenarios").GetString());
                Assert.Equal(Path.Combine(root, "my-runs"), body.GetProperty("runs").GetString());
                Assert.Equal("/orleans/", body.GetProperty("orleansDashboard").GetString());
            }

            var overridden = settings with { ContentRoot = root, More = [new(ConsoleOptions.Key(nameof(ConsoleOptions.Token)), "from-command-line")] };
            await using (var server = await ConsoleServer.StartAsync(overridden, cluster: false, defaults, CancellationToken.None))
            {
                using var http = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
                using var old = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/info") { Headers = { { "Authorization", "Bearer from-appsettings" } } });
                Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
                using var now = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/info") { Headers = { { "Authorization", "Bearer from-command-line" } } });
                Assert.Equal(HttpStatusCode.OK, now.StatusCode);
            }

            // A value of the wrong type, or a key the console does not know, is named, and nothing starts.
            await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), """{ "AgentSwarm": { "Console": { "MaxScenarioBytes": "lots" } } }""");
            var problem = await Assert.ThrowsAsync<ConsoleProblem>(() => ConsoleServer.StartAsync(settings with { ContentRoot = root }, cluster: false, defaults, CancellationToken.None));
            Assert.Contains("AgentSwarm:Console:MaxScenarioBytes", problem.Message, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), """{ "AgentSwarm": { "Console": { "Tokn": "typo" } } }""");
            problem = await Assert.ThrowsAsync<ConsoleProblem>(() => ConsoleServer.StartAsync(settings with { ContentRoot = root }, cluster: false, defaults, CancellationToken.None));
            Assert.Contains("Tokn", problem.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
