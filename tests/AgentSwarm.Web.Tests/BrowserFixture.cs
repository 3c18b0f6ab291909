using Microsoft.Playwright;

namespace AgentSwarm.Web.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright (browsers cannot be downloaded here, so it is launched from its path). A
/// machine without it fails these tests with the command that installs it; tools/test installs it.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: $AGENTSWARM_SCREENSHOTS (relative to the repository: docs/console to refresh the docs' pictures), else the test output.</summary>
    public string Screenshots { get; } = Environment.GetEnvironmentVariable("AGENTSWARM_SCREENSHOTS") is { Length: > 0 } folder
        ? Path.GetFullPath(folder, Testing.Repository.Root())
        : Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath}: the browser tests need it (apt-get install -y chromium; tools/test, the README's test command, installs it)");
        }

        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // This machine's network is closed: without these Chromium keeps trying to reach Google's services.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
