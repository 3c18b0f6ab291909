using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentSwarm.ServiceDefaults;

/// <summary>
/// The set-up every AgentSwarm host shares (the silo host, the console), shaped as an Aspire ServiceDefaults project:
/// OpenTelemetry, health checks and service discovery. Telemetry is exported over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard OTEL_* variables choose protocol, headers, intervals and the
/// service name); otherwise nothing subscribes to the meters and sources, so they cost nothing.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>AgentSwarm's own meter and activity source (AgentSwarmTelemetry.Name).</summary>
    public const string AgentSwarm = "AgentSwarm";

    /// <summary>Orleans' meter, and the activity sources of its grain calls (with activity propagation on).</summary>
    public static readonly string[] OrleansMeters = ["Microsoft.Orleans"];

    public static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>Whether telemetry leaves the process: OTEL_EXPORTER_OTLP_ENDPOINT is set in configuration (environment variables included).</summary>
    public static bool ExportsTelemetry(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (!builder.ExportsTelemetry())
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "agentswarm", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics => metrics
                .AddMeter(AgentSwarm)
                .AddMeter(OrleansMeters)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(AgentSwarm)
                .AddSource(OrleansSources)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/api/runs") || !context.Request.Path.Value!.EndsWith("/events", StringComparison.Ordinal))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
        builder.Services.AddHostedService<TelemetryStart>();
        return builder;
    }

    /// <summary>/health (every check) and /alive (the liveness checks), as Aspire's defaults map them.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        return app;
    }
}
