using AgentSwarm.Hosting;
using Microsoft.Extensions.Configuration;

namespace AgentSwarm.Web;

/// <summary>
/// The web console's settings: the <c>AgentSwarm:Console</c> section of the silo's configuration (appsettings.json,
/// environment variables such as <c>AgentSwarm__Console__Token</c>), over which `agentswarm console` and `agentswarm
/// silo` lay their command-line options.
/// </summary>
public sealed class ConsoleOptions
{
    /// <summary>The configuration section the console reads.</summary>
    public const string Section = "AgentSwarm:Console";

    /// <summary>The configuration key of a setting: <c>Key(nameof(Token))</c> is <c>AgentSwarm:Console:Token</c>.</summary>
    public static string Key(string setting) => $"{Section}:{setting}";

    /// <summary>
    /// The settings in <paramref name="configuration"/>'s section, defaults for what it leaves out. Throws
    /// <see cref="ConsoleProblem"/> naming the key of a value that is not of its setting's type, or out of range.
    /// </summary>
    public static ConsoleOptions From(IConfiguration configuration, bool cluster)
    {
        var options = new ConsoleOptions();
        try
        {
            configuration.GetSection(Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new ConsoleProblem(400, $"configuration: {UserText.Plain(ex.Message)}");
        }

        if (options.MaxScenarioBytes <= 0)
        {
            throw new ConsoleProblem(400, $"configuration: {Key(nameof(MaxScenarioBytes))} must be a positive number of bytes (got {options.MaxScenarioBytes})");
        }

        options.Token = string.IsNullOrEmpty(options.Token) ? null : options.Token;
        options.ResourceService = string.IsNullOrEmpty(options.ResourceService) ? null : options.ResourceService;
        options.Cluster = cluster;
        return options;
    }

    /// <summary>Addresses to listen on, separated by ';'. Default http://localhost:5180 (loopback only).</summary>
    public string Urls { get; set; } = "http://localhost:5180";

    /// <summary>
    /// The access token every page and API call must carry (Authorization: Bearer, ?token= once, then a cookie). Default
    /// none on loopback; on any other address one is generated and printed when none is given.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>The folder of scenario files the console lists, edits and launches. Default ./scenarios.</summary>
    public string Scenarios { get; set; } = "scenarios";

    /// <summary>The folder each run's results (and, on an embedded silo, its log) go under, one folder a run. Default ./runs.</summary>
    public string Runs { get; set; } = "runs";

    /// <summary>The largest scenario file the console accepts, in bytes. Default 256 KiB.</summary>
    public int MaxScenarioBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Mount Orleans' dashboard at /orleans. Default false: its services run on the silo whether or not anyone looks
    /// (a grain-call filter, a log capture, a meter listener, counter polling), and with them a 1M-agent run took about
    /// 30% longer (docs/benchmarks.md).
    /// </summary>
    public bool OrleansDashboard { get; set; }

    /// <summary>
    /// Where to serve the Aspire dashboard's resource service (gRPC over HTTP/2, e.g. http://localhost:5181), so a
    /// standalone Aspire dashboard lists the silos and runs and starts, cancels, resumes and replays runs. Default none.
    /// Under the same rules as <see cref="Urls"/>: beyond loopback it needs the token, which the dashboard sends as its
    /// API key.
    /// </summary>
    public string? ResourceService { get; set; }

    /// <summary>
    /// Set by the host, not by configuration: whether runs belong to a cluster of separate silos (the console only submits and follows them, and their logs go
    /// under the silos' log root) rather than to this process's embedded silo. Default false.
    /// </summary>
    public bool Cluster { get; set; }
}
