using AgentSwarm.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Hosting;

/// <summary>
/// Builds AgentSwarm's silo hosts: `agentswarm silo` (a member of a cluster) and the embedded silo of `agentswarm
/// run` (the same host with localhost clustering on free ports). Configuration comes, in rising precedence, from
/// the defaults, appsettings.json, environment variables (<c>Orleans__ClusterId</c>, <c>AgentSwarm__Roles</c>, ...)
/// and the command line, under the standard Orleans keys, so a deployment describes a silo without code.
/// </summary>
public static class AgentSwarmHost
{
    /// <summary>Defaults under everything else: one service and cluster id, loopback, memory storage.</summary>
    public static IReadOnlyDictionary<string, string?> Defaults { get; } = new Dictionary<string, string?>
    {
        ["Orleans:ClusterId"] = "agentswarm",
        ["Orleans:ServiceId"] = "agentswarm",
        ["Orleans:Endpoints:AdvertisedIPAddress"] = "127.0.0.1",
        ["Orleans:Endpoints:SiloPort"] = "11111",
        ["Orleans:Endpoints:GatewayPort"] = "30000",
        ["AgentSwarm:Engine:CheckpointEvery"] = "1",
    };

    public static HostApplicationBuilder CreateSiloBuilder(SiloSettings settings, IReadOnlyDictionary<string, string?>? extraDefaults = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = settings.ContentRoot ?? Environment.CurrentDirectory,
        });
        ConfigureSilo(builder, settings, extraDefaults);
        return builder;
    }

    /// <summary>
    /// A silo's host: a plain one, or, with <see cref="SiloSettings.HealthUrls"/>, an ASP.NET Core one that serves
    /// nothing but the health checks (<c>/health</c>, <c>/alive</c>) on those addresses.
    /// </summary>
    public static IHost BuildSilo(SiloSettings settings)
    {
        if (settings.HealthUrls is not { } urls)
        {
            return CreateSiloBuilder(settings).Build();
        }

        // Configuration is read once, as the plain host reads it (no file watching under the content root).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = settings.ContentRoot ?? Environment.CurrentDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        ConfigureSilo(builder, settings);
        builder.WebHost.UseUrls(urls);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>
    /// Makes any host builder an AgentSwarm silo (a plain host, or the web console's ASP.NET Core host): configuration
    /// in the order above, logging, and Orleans with everything an AgentSwarm silo runs.
    /// </summary>
    public static void ConfigureSilo(IHostApplicationBuilder builder, SiloSettings settings, IReadOnlyDictionary<string, string?>? extraDefaults = null)
    {
        var defaults = new Dictionary<string, string?>(Defaults);
        foreach (var (key, value) in extraDefaults ?? new Dictionary<string, string?>())
        {
            defaults[key] = value;
        }

        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(defaults);
        builder.Configuration.AddJsonFile(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json"), optional: true, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(settings.Overrides());

        ConfigureLogging(builder.Logging, settings.LogLevel);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck<SiloHealthCheck>("orleans-silo");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        var traced = builder.ExportsTelemetry() && builder.Configuration.GetValue<bool>(HostKeys.GrainCallSpans);
        builder.UseOrleans(silo =>
        {
            silo.AddAgentSwarm(builder.Configuration);
            if (traced)
            {
                // A span for every grain call, and trace context carried across silos: opt-in, since with grain hosting it
                // is a span per agent step (docs/benchmarks.md: a 200,000-agent grain-hosted run 76% slower with it).
                silo.AddActivityPropagation();
            }
        });
    }

    /// <summary>Stops a host within <paramref name="limit"/> and disposes it; a stop cut short is fine, the process ends anyway.</summary>
    public static async ValueTask StopWithinAsync(IHost host, TimeSpan limit) => await TryStopWithinAsync(host, limit);

    /// <summary>
    /// Stops a host within <paramref name="limit"/> (and disposes it within a few seconds more), even when a part of
    /// it ignores the token (a membership table whose Redis is gone retries its last write); false when it was cut short.
    /// </summary>
    public static async Task<bool> TryStopWithinAsync(IHost host, TimeSpan limit)
    {
        var stopped = true;
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await host.StopAsync(timeout.Token).WaitAsync(limit + TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            stopped = false;
        }

        try
        {
            await Task.Run(host.Dispose).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            stopped = false;
        }

        return stopped;
    }

    public static void ConfigureLogging(ILoggingBuilder logging, LogLevel logLevel)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(logLevel);
        logging.AddConsole(o => o.FormatterName = OneLineConsoleFormatter.FormatterName);
        logging.AddConsoleFormatter<OneLineConsoleFormatter, OneLineConsoleFormatterOptions>(o =>
        {
            o.TimestampFormat = "HH:mm:ss ";

            // Stack traces only with --verbose (which logs at Information and below).
            o.Details = logLevel <= LogLevel.Information;
        });

        // Orleans warns about timer delays and GC stalls that a million-agent heap on two cores makes routine: by
        // default show its errors only; --verbose shows everything.
        var orleansLevel = logLevel <= LogLevel.Information ? LogLevel.Warning : LogLevel.Error;
        if (logLevel <= LogLevel.Information)
        {
            logging.AddFilter("Orleans", orleansLevel);
        }
        else
        {
            // A host that fails to start says why in one line of its own (the command's error); the runtime's entries
            // for the same failure, one per layer it passed through, wait for --verbose. Once started, they all show.
            var started = new StartupGate();
            logging.Services.AddSingleton(started);
            logging.Services.AddHostedService(services => services.GetRequiredService<StartupGate>().Watch(services.GetRequiredService<IHostApplicationLifetime>()));
            logging.AddFilter("Orleans", level => level >= orleansLevel && started.Open);
            logging.AddFilter("Microsoft.Extensions.Hosting", level => level >= logLevel && started.Open);
            logging.AddFilter("Microsoft.AspNetCore", level => level >= logLevel && started.Open);
        }

        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}

/// <summary>Opens once the host has started: until then the runtime's own failure entries are held back (see ConfigureLogging).</summary>
internal sealed class StartupGate : IHostedService
{
    private volatile bool _open;

    public bool Open => _open;

    public StartupGate Watch(IHostApplicationLifetime lifetime)
    {
        lifetime.ApplicationStarted.Register(() => _open = true);
        return this;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
