using AgentSwarm.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using AgentSwarm.Web.Aspire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using AgentSwarm.ServiceDefaults;
using Orleans.Dashboard;

namespace AgentSwarm.Web;

/// <summary>
/// A silo that serves the web console: the AgentSwarm silo host (<see cref="AgentSwarmHost.ConfigureSilo"/>) on ASP.NET
/// Core, with the console's API and pages. `agentswarm console` starts one with an embedded silo; `agentswarm silo
/// --roles ...,console` starts one as a member of a cluster.
/// </summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    /// <summary>The host builder's switch (a command-line argument) that keeps it from watching its configuration files.</summary>
    public const string NoConfigurationReload = "--hostBuilder:reloadConfigOnChange=false";

    private readonly WebApplication _app;

    private ConsoleServer(WebApplication app, ConsoleOptions options, bool tokenGenerated, string? resourceService)
    {
        _app = app;
        Options = options;
        TokenGenerated = tokenGenerated;
        ResourceServiceAddress = resourceService;
        var resourcePort = resourceService is null ? -1 : new Uri(resourceService).Port;
        Addresses = [.. (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
            .Where(a => !Uri.TryCreate(a, UriKind.Absolute, out var uri) || uri.Port != resourcePort)];
    }

    /// <summary>Where the Aspire dashboard's resource service listens (port resolved), or null when it is not served.</summary>
    public string? ResourceServiceAddress { get; }

    public ConsoleOptions Options { get; }

    /// <summary>Whether the token was made up at start (no --token on a non-loopback address): print it, as Jupyter does.</summary>
    public bool TokenGenerated { get; }

    /// <summary>The addresses listened on, ports resolved.</summary>
    public IReadOnlyList<string> Addresses { get; }

    public IServiceProvider Services => _app.Services;

    public RunBoard Runs => _app.Services.GetRequiredService<RunBoard>();

    /// <summary>The link to open: the first address, with the token when there is one.</summary>
    public string Link => Addresses[0].TrimEnd('/') + "/" + (Options.Token is { } token ? $"?token={Uri.EscapeDataString(token)}" : string.Empty);

    /// <summary>
    /// Builds and starts the silo and the console with these settings (configuration's <see cref="ConsoleOptions.Section"/>
    /// is not read). Throws <see cref="ConsoleProblem"/> for bad addresses; on a non-loopback address without a token it
    /// makes one up (see <see cref="TokenGenerated"/>).
    /// </summary>
    public static Task<ConsoleServer> StartAsync(SiloSettings silo, ConsoleOptions options, IReadOnlyDictionary<string, string?>? defaults, CancellationToken cancellationToken) =>
        StartAsync(silo, _ => options, defaults, cancellationToken);

    /// <summary>
    /// Builds and starts the silo and the console with the settings in the silo's configuration (section
    /// <see cref="ConsoleOptions.Section"/>: appsettings.json, environment variables, then the command line's
    /// <see cref="SiloSettings.More"/>). <paramref name="cluster"/>: the silo is a member of a cluster of separate silos.
    /// </summary>
    public static Task<ConsoleServer> StartAsync(SiloSettings silo, bool cluster, IReadOnlyDictionary<string, string?>? defaults, CancellationToken cancellationToken) =>
        StartAsync(silo, configuration => ConsoleOptions.From(configuration, cluster), defaults, cancellationToken);

    private static async Task<ConsoleServer> StartAsync(SiloSettings silo, Func<Microsoft.Extensions.Configuration.IConfiguration, ConsoleOptions> settings, IReadOnlyDictionary<string, string?>? defaults, CancellationToken cancellationToken)
    {
        // Configuration is not reloaded when its files change (ConfigureSilo reads appsettings.json once): left on, the
        // builder's default appsettings.json source watches the content root, and a watcher on Linux walks that folder
        // and every folder below it (the whole home folder, say, where the console was started there) to watch each.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = silo.ContentRoot ?? Environment.CurrentDirectory, Args = [NoConfigurationReload] });
        AgentSwarmHost.ConfigureSilo(builder, silo, defaults);
        var options = settings(builder.Configuration);
        if (!Directory.Exists(options.Scenarios) && builder.Configuration[ConsoleOptions.Key(nameof(ConsoleOptions.Scenarios))] is not null)
        {
            // A folder given that is not there is a typo; the default's absence only means an empty list.
            throw new ConsoleProblem(400, $"--scenarios: '{Path.GetFullPath(options.Scenarios)}' is not a folder (give the folder of scenario files the console lists)");
        }

        if (ConsoleAccess.Problem(options.Urls) is { } problem)
        {
            throw new ConsoleProblem(400, $"--urls: {problem}");
        }

        if (options.ResourceService is { } resourceService && ConsoleAccess.Problem(resourceService) is { } resourceProblem)
        {
            throw new ConsoleProblem(400, $"--resource-service: {resourceProblem}");
        }

        var everyUrl = options.ResourceService is null ? options.Urls : $"{options.Urls};{options.ResourceService}";
        var generated = false;
        if (options.Token is null && !ConsoleAccess.LoopbackOnly(everyUrl))
        {
            // Anyone who can reach the address could launch runs: never serve it open.
            options.Token = ConsoleAccess.NewToken();
            generated = true;
        }

        // Orleans' own dashboard, at /orleans behind the same token. It profiles grain calls only while a page of it is open.
        if (options.OrleansDashboard)
        {
            builder.UseOrleans(s => s.AddDashboard());
        }
        // The pages first (the first address is the console's link), then the resource service, which speaks HTTP/2
        // without TLS (gRPC's h2c): Kestrel cannot offer both on one plain-text port.
        ListenOptions? resourceEndpoint = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxScenarioBytes + (64 * 1024);
            foreach (var url in ConsoleAccess.Split(options.Urls))
            {
                ConsoleAccess.Listen(k, url, null);
            }

            if (options.ResourceService is { } url2)
            {
                ConsoleAccess.Listen(k, url2, endpoint =>
                {
                    endpoint.Protocols = HttpProtocols.Http2;
                    resourceEndpoint = endpoint;
                });
            }
        });
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ScenarioLibrary>();
        builder.Services.AddSingleton<RunBoard>();
        if (options.ResourceService is not null)
        {
            builder.Services.AddDashboardResourceService();
        }

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (options.Token is null && !ConsoleAccess.IsLoopbackHost(context.Request.Host.Host))
            {
                // Open on loopback only: a page elsewhere that rebinds its name to 127.0.0.1 still sends its own Host.
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new { error = $"this console has no token and answers only to localhost, 127.0.0.1 or [::1], not '{context.Request.Host.Host}'" }, cancellationToken: context.RequestAborted);
                return;
            }

            if (options.Token is { } token && !IsHealthProbe(context.Request.Path) && !ConsoleAccess.Admit(context, token))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                if (context.Request.Path.StartsWithSegments("/api"))
                {
                    await context.Response.WriteAsJsonAsync(new { error = "this console needs its access token: send Authorization: Bearer TOKEN (or ?token=TOKEN once)" }, cancellationToken: context.RequestAborted);
                }
                else
                {
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync("This AgentSwarm console needs its access token: open the link it printed when it started (it ends in ?token=...).", context.RequestAborted);
                }

                return;
            }

            await next(context);
        });
        app.Use(ConsoleApi.HandleProblemsAsync);
        app.MapConsoleApi();
        app.MapPages();
        if (options.OrleansDashboard)
        {
            app.MapOrleansDashboard("/orleans");
        }
        if (options.ResourceService is not null)
        {
            app.MapDashboardResourceService();
        }

        app.MapDefaultEndpoints();
        await app.StartAsync(cancellationToken);
        // As given, unless its port was 0 and only the bound endpoint knows it.
        string? resourceAddress = null;
        if (resourceEndpoint?.IPEndPoint is { } bound)
        {
            var given = ConsoleAccess.Address(options.ResourceService!);
            resourceAddress = given.Port != 0 ? given.GetLeftPart(UriPartial.Authority) : $"{given.Scheme}://{bound}";
        }

        var server = new ConsoleServer(app, options, generated, resourceAddress);
        if (options.Token is null && !ConsoleAccess.LoopbackOnly(string.Join(';', server.Addresses.Append(resourceAddress ?? string.Empty).Where(a => a.Length > 0))))
        {
            // Configuration (Kestrel:Endpoints) can bind more than --urls says: judge by what is bound.
            await server.DisposeAsync();
            throw new ConsoleProblem(400, $"the console listens on {string.Join(", ", server.Addresses)}, beyond loopback, without a token: give --token");
        }

        // Runs an earlier console on this cluster left going: followed again in the background, so start does not wait on them.
        _ = server.Runs.ReattachAsync(app.Lifetime.ApplicationStopping);
        return server;
    }

    // Probes (a load balancer's, Kubernetes') carry no token and learn nothing but "up".
    private static bool IsHealthProbe(PathString path) => path == "/health" || path == "/alive";

    /// <summary>Waits until the host is told to stop (Ctrl+C, SIGTERM) or the token fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Runs.DisposeAsync();
        await AgentSwarmHost.StopWithinAsync(_app, TimeSpan.FromSeconds(5));
    }
}
