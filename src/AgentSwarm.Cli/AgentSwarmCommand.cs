using AgentSwarm.Hosting;
using System.Globalization;
using System.CommandLine;
using System.CommandLine.Parsing;
using AgentSwarm.Scenarios.Files;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>The `agentswarm` command line.</summary>
internal static class AgentSwarmCommand
{
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build(output, error);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync($"error: {Hosting.UserText.Plain(problem.Message)}");
            }

            await error.WriteLineAsync("Run 'agentswarm --help' for usage.");
            return ExitCodes.BadInput;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,

            // After Ctrl+C the run is cancelled and its summary written; give that time before the process is ended.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),

            // Its handler prints the stack trace; a user gets one line from the catch below instead.
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failure outside the run itself (the silo would not start, the disk is full): say what, not where.
            await error.WriteLineAsync($"error: {Problem(ex)}");
            if (args.Contains("--verbose"))
            {
                await error.WriteLineAsync(ex.ToString());
            }

            return ExitCodes.Failed;
        }
    }

    /// <summary>What went wrong, in a user's words: the exception's message, and what a full disk or a lost cluster means.</summary>
    internal static string Problem(Exception exception) => exception switch
    {
        _ when Hosting.RunOutput.IsDiskFull(exception) => $"the disk is full: {exception.Message}",
        _ when Hosting.ClusterConnection.IsConnectionLost(exception) => $"lost the connection to the cluster: {exception.Message}",
        AggregateException { InnerExceptions.Count: 1 } aggregate => Problem(aggregate.InnerExceptions[0]),
        _ => Hosting.UserText.Plain(exception.Message),
    };

    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("AgentSwarm: actor-based simulation of very large populations of LLM-driven agents, on Orleans.");
        root.Add(RunCommandLine(output, error));
        root.Add(BenchCommandLine(output, error));
        root.Add(ReplayCommandLine(output, error));
        root.Add(ReportCommandLine(output, error));
        root.Add(InspectCommandLine(output, error));
        root.Add(SiloCommandLine(output, error));
        root.Add(RunsCommandLine(output, error));
        root.Add(AttachCommandLine(output, error));
        root.Add(CancelCommandLine(output, error));
        root.Add(ConsoleCommandLine(output, error));
        return root;
    }

    /// <summary>The web console's options, on `console` and on `silo` (where they apply with the console role).</summary>
    private sealed class WebConsoleOptions
    {
        public Option<string?> Urls { get; } = new("--urls") { Description = "Where the console listens, ';'-separated (default http://localhost:5180; any non-loopback address needs a token)" };

        public Option<string?> Token { get; } = new("--token") { Description = "Access token every page and API call must carry (default: none on loopback; generated and printed otherwise)" };

        public Option<string?> Scenarios { get; } = new("--scenarios") { Description = "Folder of scenario files the console lists and edits (default scenarios/)" };

        public Option<string?> Runs { get; } = new("--runs") { Description = "Folder the console's runs write to, one folder each (default runs/)" };

        public Option<string?> ResourceService { get; } = new("--resource-service") { Description = "Also serve the Aspire dashboard's resource service (gRPC) at this address, e.g. http://localhost:5181: a standalone Aspire dashboard then lists silos and runs and starts, cancels, resumes and replays runs" };

        public Option<bool> OrleansDashboard { get; } = new("--orleans-dashboard") { Description = "Mount Orleans' dashboard at /orleans (off by default: it costs a large run about 30% even unwatched)" };

        public void AddTo(Command command)
        {
            command.Add(Urls);
            command.Add(Token);
            command.Add(Scenarios);
            command.Add(Runs);
            command.Add(OrleansDashboard);
            command.Add(ResourceService);
        }

        /// <summary>
        /// The options given, as the configuration keys they stand for (<see cref="Web.ConsoleOptions.Section"/>): they
        /// override appsettings.json and environment variables; what is not given comes from those.
        /// </summary>
        public List<KeyValuePair<string, string?>> Read(ParseResult parse)
        {
            var settings = new List<KeyValuePair<string, string?>>();
            Add(nameof(Web.ConsoleOptions.Urls), parse.GetValue(Urls));
            Add(nameof(Web.ConsoleOptions.Token), parse.GetValue(Token));
            Add(nameof(Web.ConsoleOptions.Scenarios), parse.GetValue(Scenarios));
            Add(nameof(Web.ConsoleOptions.Runs), parse.GetValue(Runs));
            Add(nameof(Web.ConsoleOptions.ResourceService), parse.GetValue(ResourceService));
            Add(nameof(Web.ConsoleOptions.OrleansDashboard), parse.GetValue(OrleansDashboard) ? "true" : null);
            return settings;

            void Add(string setting, string? value)
            {
                if (value is { Length: > 0 })
                {
                    settings.Add(new(Web.ConsoleOptions.Key(setting), value));
                }
            }
        }
    }

    private static Command ConsoleCommandLine(TextWriter output, TextWriter error)
    {
        var web = new WebConsoleOptions();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the silo's and the web server's log on stderr" };
        var command = new Command("console", "Serve the web console (launch, watch, inspect, verify and compare runs in the browser) on an embedded silo, until Ctrl+C.") { verbose };
        web.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (settings, defaults) = EmbeddedSilo.Configuration(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning);
            return await ConsoleCommand.ExecuteAsync(settings with { More = web.Read(parse) }, defaults, cluster: false, output, error, cancellationToken);
        });
        return command;
    }

    /// <summary>The options every client command has for reaching a cluster.</summary>
    private sealed class ClusterOptions
    {
        public Option<string?> Cluster { get; } = new("--cluster", "-c") { Description = "The cluster: redis=HOST:PORT (its membership) or localhost" };

        public Option<string?> ClusterId { get; } = new("--cluster-id") { Description = "Orleans ClusterId (default agentswarm, or Orleans__ClusterId)" };

        public Option<string?> ServiceId { get; } = new("--service-id") { Description = "Orleans ServiceId (default agentswarm)" };

        public Option<int> Wait { get; } = new("--wait") { Description = "Seconds to wait for a silo to answer before giving up", DefaultValueFactory = _ => 15 };

        public void AddTo(Command command)
        {
            command.Add(Cluster);
            command.Add(ClusterId);
            command.Add(ServiceId);
            command.Add(Wait);
        }

        /// <summary>The target, or null with a message written when --cluster is missing or does not parse.</summary>
        public async Task<ClusterTarget?> TargetAsync(ParseResult parse, TextWriter error, bool required)
        {
            var text = parse.GetValue(Cluster);
            if (text is null)
            {
                if (required)
                {
                    await error.WriteLineAsync("error: --cluster: give the cluster to talk to (redis=HOST:PORT or localhost)");
                }

                return null;
            }

            if (!Hosting.ClusterAddress.TryParse(text, out var address, out var problem))
            {
                await error.WriteLineAsync($"error: --cluster: {problem}");
                return null;
            }

            if (parse.GetValue(Wait) <= 0)
            {
                await error.WriteLineAsync("error: --wait: must be a positive number of seconds");
                return null;
            }

            return new ClusterTarget(address, parse.GetValue(ClusterId), parse.GetValue(ServiceId), TimeSpan.FromSeconds(parse.GetValue(Wait)));
        }
    }

    /// <summary>Runs a client command, turning an unreachable cluster into a clear message and exit code 1.</summary>
    private static async Task<int> ClientAsync(TextWriter error, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Hosting.ClusterUnreachableException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    private static Command SiloCommandLine(TextWriter output, TextWriter error)
    {
        var cluster = new Option<string>("--cluster", "-c") { Description = "Membership: redis=HOST:PORT, or localhost (development)", DefaultValueFactory = _ => "localhost" };
        var clusterId = new Option<string?>("--cluster-id") { Description = "Orleans ClusterId (default agentswarm)" };
        var serviceId = new Option<string?>("--service-id") { Description = "Orleans ServiceId (default agentswarm)" };
        var roles = new Option<string?>("--roles") { Description = "What this silo hosts: agents, inference, console (the web console; see --urls) (default agents,inference)" };
        var storage = new Option<string?>("--storage") { Description = "Run records and checkpoints: memory, redis=HOST:PORT or azure-tables=CONNECTION-STRING (default memory)" };
        var siloPort = new Option<int?>("--silo-port") { Description = "Silo-to-silo port (default 11111)" };
        var gatewayPort = new Option<int?>("--gateway-port") { Description = "Client gateway port (default 30000)" };
        var advertise = new Option<string?>("--advertise") { Description = "The IP address other silos reach this one at (default 127.0.0.1)" };
        var primaryPort = new Option<int?>("--primary-port") { Description = "localhost clustering: the primary silo's port (default 11111)" };
        var logRoot = new Option<string?>("--log-root") { Description = "Folder every silo shares for run logs (default runs/)" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Partitions checkpoint their agents every N rounds (default 1; 0 never)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the silo's log on stderr" };
        var healthUrls = new Option<string?>("--health-urls") { Description = "A silo without the console role: serve /health (an active cluster member) and /alive at these addresses, ';'-separated, e.g. http://0.0.0.0:8080 (a console silo serves them on its --urls)" };
        var command = new Command("silo", "Run a silo of an AgentSwarm cluster until SIGTERM or Ctrl+C. Settings also come from appsettings.json and environment variables (Orleans__ClusterId, AgentSwarm__Roles, ...).")
        {
            cluster, clusterId, serviceId, roles, storage, siloPort, gatewayPort, advertise, primaryPort, logRoot, checkpointEvery, verbose, healthUrls,
        };
        var web = new WebConsoleOptions();
        web.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Hosting.ClusterAddress.TryParse(parse.GetValue(cluster), out var address, out var problem))
            {
                await error.WriteLineAsync($"error: --cluster: {problem}");
                return ExitCodes.BadInput;
            }

            Hosting.StorageAddress? store = null;
            if (parse.GetValue(storage) is { } storageText)
            {
                if (!Hosting.StorageAddress.TryParse(storageText, out var parsed, out var storageProblem))
                {
                    await error.WriteLineAsync($"error: --storage: {storageProblem}");
                    return ExitCodes.BadInput;
                }

                store = parsed;
            }

            if (parse.GetValue(roles) is { } roleText && Engine.SiloRoles.TryParse(roleText, out _) is { } roleProblem)
            {
                await error.WriteLineAsync($"error: --roles: {roleProblem}");
                return ExitCodes.BadInput;
            }

            foreach (var (name, value) in new[] { ("--silo-port", parse.GetValue(siloPort)), ("--gateway-port", parse.GetValue(gatewayPort)), ("--primary-port", parse.GetValue(primaryPort)) })
            {
                if (value is < 1 or > 65535)
                {
                    await error.WriteLineAsync($"error: {name}: must be a port in 1..65535 (got {value})");
                    return ExitCodes.BadInput;
                }
            }

            if (parse.GetValue(checkpointEvery) is < 0)
            {
                await error.WriteLineAsync("error: --checkpoint-every: must be 0 (never) or a number of rounds");
                return ExitCodes.BadInput;
            }

            var settings = new Hosting.SiloSettings
            {
                Cluster = address,
                ClusterId = parse.GetValue(clusterId),
                ServiceId = parse.GetValue(serviceId),
                Roles = parse.GetValue(roles),
                Storage = store,
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                AdvertisedAddress = parse.GetValue(advertise),
                PrimarySiloPort = parse.GetValue(primaryPort),
                LogRoot = parse.GetValue(logRoot) is { } root ? Path.GetFullPath(root) : null,
                CheckpointEvery = parse.GetValue(checkpointEvery),
                LogLevel = parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning,
                HealthUrls = parse.GetValue(healthUrls),
            };
            return await ClusterCommands.SiloAsync(settings with { More = web.Read(parse) }, output, error, cancellationToken);
        });
        return command;
    }

    private static Command RunsCommandLine(TextWriter output, TextWriter error)
    {
        var options = new ClusterOptions();
        var command = new Command("runs", "List a cluster's runs: state, progress, which silo holds which partitions, recoveries.");
        options.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = await options.TargetAsync(parse, error, required: true);
            return target is null ? ExitCodes.BadInput : await ClientAsync(error, () => ClusterCommands.ListAsync(target, output, error, cancellationToken));
        });
        return command;
    }

    private static Command AttachCommandLine(TextWriter output, TextWriter error)
    {
        var options = new ClusterOptions();
        var runId = new Argument<string>("run-id") { Description = "The run (agentswarm runs lists them)" };
        var outDir = new Option<DirectoryInfo?>("--out", "-o") { Description = "Also write rounds and summary.json here" };
        var command = new Command("attach", "Follow a cluster's run with the live view until it ends (Ctrl+C detaches; the run goes on).") { runId, outDir };
        options.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = await options.TargetAsync(parse, error, required: true);
            return target is null
                ? ExitCodes.BadInput
                : await ClientAsync(error, () => ClusterCommands.AttachAsync(target, parse.GetRequiredValue(runId), parse.GetValue(outDir)?.FullName, Console(output), error, cancellationToken));
        });
        return command;
    }

    private static Command CancelCommandLine(TextWriter output, TextWriter error)
    {
        var options = new ClusterOptions();
        var runId = new Argument<string>("run-id") { Description = "The run (agentswarm runs lists them)" };
        var command = new Command("cancel", "Stop a cluster's run; the rounds it finished are kept.") { runId };
        options.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var target = await options.TargetAsync(parse, error, required: true);
            return target is null ? ExitCodes.BadInput : await ClientAsync(error, () => ClusterCommands.CancelAsync(target, parse.GetRequiredValue(runId), output, error, cancellationToken));
        });
        return command;
    }

    private static Command RunCommandLine(TextWriter output, TextWriter error)
    {
        var scenario = new Argument<FileInfo?>("scenario") { Description = "Scenario file (YAML), e.g. scenarios/guess-two-thirds.yaml", Arity = ArgumentArity.ZeroOrOne };
        var agents = new Option<int?>("--agents", "-n") { Description = "Number of agents (overrides the file)" };
        var rounds = new Option<int?>("--rounds", "-r") { Description = "Number of rounds (overrides the file)" };
        var seed = new Option<ulong?>("--seed", "-s") { Description = "Random seed (overrides the file)" };
        var policy = new Option<string?>("--policy", "-p") { Description = "heuristic | random | dummy-latency | llm (overrides the file)" };
        var llm = new Option<string[]>("--llm")
        {
            Description = "LLM endpoint for the llm policy, repeatable: ollama=http://localhost:11434/llama3.1:8b, openai=http://host:8000/v1/MODEL, simulated=h100-llama3-8b (replaces the file's llm.endpoints)",
            AllowMultipleArgumentsPerToken = false,
        };
        var partitions = new Option<int?>("--partitions") { Description = "Partitions (0 = automatic; overrides the file)" };
        var hosting = new Option<string?>("--hosting") { Description = "grain (an activation per agent) | packed (agents live in their partition) | auto (the policy's default); overrides the file" };
        var latency = new Option<string?>("--latency") { Description = "dummy-latency's wait per agent, e.g. 1s or 250ms" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Agents stepped at once across the run (0 = policy default)" };
        var outDir = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder (default runs/<run id>)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the engine's log on stderr" };
        var noLog = new Option<bool>("--no-log") { Description = "Do not write the event log (OUT/log/)" };
        var snapshotEvery = new Option<int>("--snapshot-every") { Description = "Write every agent's memory into the log every N rounds and after the last (0: never)" };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Resume a stopped run from its log (OUT/log): rounds up to its last complete one are replayed, the rest run live" };
        var maxFailureShare = new Option<double?>("--max-failure-share") { Description = "A completed run in which more than this share of LLM calls failed ends degraded, exit code 3 (default 0.5; overrides llm.max-failure-share)" };
        var clusterOptions = new ClusterOptions();

        var command = new Command("run", "Run a scenario on an embedded in-process silo (or submit it to a cluster with --cluster) and write summary.json and per-round results.")
        {
            scenario, agents, rounds, seed, policy, llm, partitions, hosting, latency, concurrency, outDir, verbose, noLog, snapshotEvery, resume, maxFailureShare,
        };
        clusterOptions.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            TimeSpan? wait = null;
            if (parse.GetValue(latency) is { } latencyText)
            {
                if (!DurationText.TryParse(latencyText, out var parsed))
                {
                    await error.WriteLineAsync($"error: --latency: expected a duration like 1s or 250ms, got '{latencyText}'");
                    return ExitCodes.BadInput;
                }

                wait = parsed;
            }

            if (parse.GetValue(scenario) is null && parse.GetValue(resume) is null)
            {
                await error.WriteLineAsync("error: give a scenario file, or --resume LOG to resume a stopped run");
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(snapshotEvery) < 0)
            {
                await error.WriteLineAsync("error: --snapshot-every: must be 0 (never) or a number of rounds");
                return ExitCodes.BadInput;
            }

            ClusterTarget? target = null;
            if (parse.GetValue(clusterOptions.Cluster) is not null)
            {
                target = await clusterOptions.TargetAsync(parse, error, required: true);
                if (target is null)
                {
                    return ExitCodes.BadInput;
                }

                if (parse.GetValue(resume) is not null)
                {
                    await error.WriteLineAsync("error: --resume runs on an embedded silo; a cluster's run picks itself up after a lost silo");
                    return ExitCodes.BadInput;
                }
            }

            var options = new RunCommand.Options(
                parse.GetValue(scenario)?.FullName,
                new RunOverrides(
                    parse.GetValue(agents),
                    parse.GetValue(rounds),
                    parse.GetValue(seed),
                    parse.GetValue(policy),
                    parse.GetValue(partitions),
                    wait,
                    parse.GetValue(concurrency),
                    parse.GetValue(llm) is { Length: > 0 } endpoints ? endpoints : null,
                    parse.GetValue(hosting),
                    parse.GetValue(maxFailureShare)),
                parse.GetValue(outDir)?.FullName,
                parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning,
                !parse.GetValue(noLog),
                parse.GetValue(snapshotEvery),
                parse.GetValue(resume)?.FullName,
                target);
            return await ClientAsync(error, () => RunCommand.ExecuteAsync(options, Console(output), error, cancellationToken));
        });
        return command;
    }

    private static Command ReplayCommandLine(TextWriter output, TextWriter error)
    {
        var log = new Argument<DirectoryInfo>("log") { Description = "A run's log folder (OUT/log) or its output folder" };
        var until = new Option<int?>("--until") { Description = "Replay rounds 1..ROUND only" };
        var verify = new Option<bool>("--verify") { Description = "Check every round's state hash and statistics against the recording (exit 1 on a difference)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the engine's log on stderr" };
        var fromRecords = new Option<bool>("--from-records") { Description = "Recompute the rounds from the recorded actions instead of running the agents again (fast)" };
        var command = new Command("replay", "Run a logged simulation again from its log, with the recorded LLM responses in place of the backend.") { log, until, verify, fromRecords, verbose };
        command.SetAction(async (parse, cancellationToken) => await ReplayCommand.ExecuteAsync(
            new ReplayCommand.Options(parse.GetRequiredValue(log).FullName, parse.GetValue(until), parse.GetValue(verify), parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning, parse.GetValue(fromRecords)),
            Console(output),
            error,
            cancellationToken));
        return command;
    }

    private static Command ReportCommandLine(TextWriter output, TextWriter error)
    {
        var log = new Argument<DirectoryInfo>("log") { Description = "A run's log folder (OUT/log) or its output folder" };
        var outDir = new Option<DirectoryInfo?>("--out", "-o") { Description = "Report folder (default: report/ beside the log)" };
        var command = new Command("report", "Per-round tables, PNG charts, and CSV and Parquet exports (one table per record kind) of a run's log.") { log, outDir };
        command.SetAction(async (parse, _) => await ReportCommand.ExecuteAsync(parse.GetRequiredValue(log).FullName, parse.GetValue(outDir)?.FullName, Console(output), error));
        return command;
    }

    private static Command InspectCommandLine(TextWriter output, TextWriter error)
    {
        var log = new Argument<DirectoryInfo>("log") { Description = "A run's log folder (OUT/log) or its output folder" };
        var agent = new Option<int>("--agent", "-a") { Description = "The agent's index", Required = true };
        var round = new Option<int?>("--round", "-r") { Description = "Only this round" };
        var command = new Command("inspect", "One agent round by round from a run's log: inbox, LLM prompts and responses, action, messages sent, memory.") { log, agent, round };
        command.SetAction(async (parse, _) => await InspectCommand.ExecuteAsync(parse.GetRequiredValue(log).FullName, parse.GetValue(agent), parse.GetValue(round), output, error));
        return command;
    }

    private static Command BenchCommandLine(TextWriter output, TextWriter error)
    {
        var workload = new Option<string>("--workload", "-w")
        {
            Description = "all | baseline (the guess agents as plain .NET objects, no Orleans) | guess | latency | messages",
            DefaultValueFactory = _ => "all",
        };
        workload.AcceptOnlyFromAmong("all", "baseline", "guess", "latency", "messages");
        var agents = new Option<int?>("--agents", "-n") { Description = "Agents (default: 1,000,000; 100,000 for messages)" };
        var rounds = new Option<int?>("--rounds", "-r") { Description = "Rounds (default: 5 for guess and messages, 1 for latency)" };
        var latency = new Option<string>("--latency")
        {
            Description = "dummy-latency's wait per agent",
            DefaultValueFactory = _ => "1s",
        };
        var partitions = new Option<int?>("--partitions") { Description = "Partitions (default automatic)" };
        var hostings = new Option<string>("--hosting")
        {
            Description = "Comma-separated: packed (agents live in their partition), grain (an activation per agent); each runs side by side in its own process",
            DefaultValueFactory = _ => "packed,grain",
        };

        var engine = new Command("engine", "Engine throughput and memory: 1M heuristic guess-2/3 agents, 1M dummy-latency agents, 100k messaging agents.")
        {
            workload, agents, rounds, latency, partitions, hostings,
        };
        engine.SetAction(async (parse, cancellationToken) =>
        {
            if (!DurationText.TryParse(parse.GetRequiredValue(latency), out var wait))
            {
                await error.WriteLineAsync($"error: --latency: expected a duration like 1s or 250ms, got '{parse.GetValue(latency)}'");
                return ExitCodes.BadInput;
            }

            var hostingNames = parse.GetRequiredValue(hostings).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var chosen = new List<Abstractions.AgentHosting>();
            foreach (var name in hostingNames)
            {
                if (name is not ("packed" or "grain"))
                {
                    await error.WriteLineAsync($"error: --hosting: unknown hosting '{name}' (expected packed, grain or both, comma-separated)");
                    return ExitCodes.BadInput;
                }

                chosen.Add(BenchHosting(name));
            }

            if (chosen.Count == 0)
            {
                await error.WriteLineAsync("error: --hosting: name at least one of packed, grain");
                return ExitCodes.BadInput;
            }

            var settings = new EngineBench.Settings(
                parse.GetRequiredValue(workload),
                parse.GetValue(agents),
                parse.GetValue(rounds),
                wait,
                parse.GetValue(partitions),
                [.. chosen.Distinct()]);
            return await EngineBench.ExecuteAsync(settings, output, error, cancellationToken);
        });

        var tasks = new Option<string>("--tasks") { Description = "Comma-separated tasks (default: all five)", DefaultValueFactory = _ => "consensus,leader_election,matching,coloring,vertex_cover" };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated graph sizes", DefaultValueFactory = _ => "4,8,16" };
        var graphs = new Option<DirectoryInfo?>("--graphs") { Description = "Folder of graph_*.json node-link instances (default: generate ws, ba, dt graphs)" };
        var policy = new Option<string>("--policy", "-p") { Description = "classical | random | llm", DefaultValueFactory = _ => "classical" };
        policy.AcceptOnlyFromAmong("classical", "random", "llm");
        var kinds = new Option<string>("--kinds") { Description = "Generators of the generated graphs (default ws,ba,dt)", DefaultValueFactory = _ => "ws,ba,dt" };
        var benchLlm = new Option<string[]>("--llm")
        {
            Description = "LLM endpoint for --policy llm, repeatable (simulated=h100-llama3-8b, ollama=http://localhost:11434/llama3.1:8b, openai=http://host:8000/v1/MODEL)",
            AllowMultipleArgumentsPerToken = false,
        };
        var chainOfThought = new Option<bool>("--chain-of-thought") { Description = "LLM agents reason before answering (true, the reference's default) or answer at once (false)", DefaultValueFactory = _ => true };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var outDir = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder (default runs/agentsnet-<time>)" };
        var count = new Option<int>("--count") { Description = "Generated graphs per generator and size", DefaultValueFactory = _ => 3 };
        var agentsnet = new Command("agentsnet", "The AgentsNet suite: every task on every instance; a table of mean score, standard error and solved rate.")
        {
            tasks, sizes, graphs, kinds, policy, benchLlm, chainOfThought, seed, outDir, count,
        };
        agentsnet.SetAction(async (parse, cancellationToken) =>
        {
            if (WholeNumbers(parse.GetRequiredValue(sizes), "--sizes", error) is not { } sizeList)
            {
                return ExitCodes.BadInput;
            }

            var settings = new AgentsNetBench.Settings(
                parse.GetRequiredValue(tasks).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                [.. sizeList],
                parse.GetValue(graphs)?.FullName,
                parse.GetRequiredValue(policy),
                parse.GetValue(seed),
                parse.GetValue(outDir)?.FullName,
                Math.Max(1, parse.GetValue(count)),
                parse.GetRequiredValue(kinds).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                parse.GetValue(benchLlm) ?? [],
                parse.GetValue(chainOfThought));
            return await AgentsNetBench.ExecuteAsync(settings, output, error, cancellationToken);
        });

        var swarmTasks = new Option<string>("--tasks") { Description = "Comma-separated tasks (default: all five)", DefaultValueFactory = _ => "pursuit,synchronization,foraging,flocking,transport" };
        var swarmAgents = new Option<string>("--agents", "-n") { Description = "Comma-separated swarm sizes; each on a grid that keeps the paper's density (10 on 10 x 10)", DefaultValueFactory = _ => "10" };
        var swarmPolicy = new Option<string>("--policy", "-p") { Description = "Comma-separated rows: classical, random, llm", DefaultValueFactory = _ => "classical,random" };
        var swarmLlm = new Option<string[]>("--llm") { Description = "LLM endpoint for the llm row, repeatable (simulated=h100-llama3-8b?clock=virtual, ollama=..., openai=...)", AllowMultipleArgumentsPerToken = false };
        var swarmRuns = new Option<int>("--runs") { Description = "Runs per task, size and policy (seeds seed, seed + 1, ...)", DefaultValueFactory = _ => 5 };
        var swarmRounds = new Option<int>("--rounds") { Description = "Rounds per run (the paper: 100)", DefaultValueFactory = _ => 100 };
        var swarmSeed = new Option<ulong>("--seed", "-s") { Description = "First run's seed", DefaultValueFactory = _ => 42 };
        var swarmOut = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder (default runs/swarmbench-<time>)" };
        var swarmTrace = new Option<int>("--trace-up-to") { Description = "Write a trace per run for swarms up to this size (0: none)", DefaultValueFactory = _ => 1000 };
        var swarmbench = new Command("swarmbench", "SwarmBench's five tasks: the paper's table (mean score ± standard error over runs) per swarm size and policy, and rounds and agent-steps per second.")
        {
            swarmTasks, swarmAgents, swarmPolicy, swarmLlm, swarmRuns, swarmRounds, swarmSeed, swarmOut, swarmTrace,
        };
        swarmbench.SetAction(async (parse, cancellationToken) =>
        {
            if (WholeNumbers(parse.GetRequiredValue(swarmAgents), "--agents", error) is not { } swarmSizes)
            {
                return ExitCodes.BadInput;
            }

            var settings = new SwarmBenchBench.Settings(
                parse.GetRequiredValue(swarmTasks).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                [.. swarmSizes],
                parse.GetRequiredValue(swarmPolicy).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                parse.GetValue(swarmLlm) ?? [],
                parse.GetValue(swarmRuns),
                parse.GetValue(swarmRounds),
                parse.GetValue(swarmSeed),
                parse.GetValue(swarmOut)?.FullName,
                parse.GetValue(swarmTrace));
            return await SwarmBenchBench.ExecuteAsync(settings, output, error, cancellationToken);
        });

        var inferenceWorkload = new Option<string>("--workload", "-w") { Description = "all | efficiency | affinity | capacity", DefaultValueFactory = _ => "all" };
        inferenceWorkload.AcceptOnlyFromAmong("all", "efficiency", "affinity", "capacity");
        var inferenceAgents = new Option<int>("--agents", "-n") { Description = "efficiency: agents in the LLM round", DefaultValueFactory = _ => 100_000 };
        var endpointCount = new Option<int>("--endpoints") { Description = "efficiency: simulated GPUs", DefaultValueFactory = _ => 4 };
        var profile = new Option<string>("--profile") { Description = "efficiency: simulated GPU profile", DefaultValueFactory = _ => "h100-llama3-8b" };
        var requests = new Option<int>("--requests") { Description = "affinity: requests per routing policy", DefaultValueFactory = _ => 20_000 };
        var routing = new Option<string>("--routing") { Description = "efficiency: affinity | round-robin | least-loaded", DefaultValueFactory = _ => "affinity" };
        routing.AcceptOnlyFromAmong([.. Abstractions.LlmRouting.All]);
        var inferenceRounds = new Option<int>("--rounds", "-r") { Description = "efficiency: rounds (the first pays for the JIT; later ones are warm)", DefaultValueFactory = _ => 2 };
        var inferenceHosting = new Option<string>("--hosting") { Description = "efficiency: packed | grain (where the LLM agents live)", DefaultValueFactory = _ => "packed" };
        inferenceHosting.AcceptOnlyFromAmong("packed", "grain");
        var inference = new Command("inference", "The inference pool against simulated GPUs: efficiency against capacity, affinity against round-robin, a 1M-agent capacity estimate.")
        {
            inferenceWorkload, inferenceAgents, endpointCount, profile, requests, routing, inferenceRounds, inferenceHosting,
        };
        inference.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new InferenceBench.Settings(
                parse.GetRequiredValue(inferenceWorkload),
                Math.Max(1, parse.GetValue(inferenceAgents)),
                Math.Max(1, parse.GetValue(endpointCount)),
                parse.GetRequiredValue(profile),
                Math.Max(1, parse.GetValue(requests)),
                parse.GetRequiredValue(routing),
                Math.Max(1, parse.GetValue(inferenceRounds)),
                BenchHosting(parse.GetRequiredValue(inferenceHosting)));
            return await InferenceBench.ExecuteAsync(settings, output, error, cancellationToken);
        });

        var logAgents = new Option<int>("--agents", "-n") { Description = "Agents", DefaultValueFactory = _ => 1_000_000 };
        var logRounds = new Option<int>("--rounds", "-r") { Description = "Rounds", DefaultValueFactory = _ => 5 };
        var logBench = new Command("log", "The event log: its cost per round and bytes per agent-step on heuristic guess-2/3, and replay speed.") { logAgents, logRounds };
        logBench.SetAction(async (parse, cancellationToken) =>
            await LogBench.ExecuteAsync(Math.Max(1, parse.GetValue(logAgents)), Math.Max(1, parse.GetValue(logRounds)), output, error, cancellationToken));

        var clusterAgents = new Option<int>("--agents", "-n") { Description = "Agents of the scale runs", DefaultValueFactory = _ => 1_000_000 };
        var clusterRounds = new Option<int>("--rounds", "-r") { Description = "Rounds of the scale runs", DefaultValueFactory = _ => 3 };
        var clusterSilos = new Option<string>("--silos") { Description = "Silo counts of the scale runs; 1 is the embedded silo", DefaultValueFactory = _ => "1,2,3" };
        var killAgents = new Option<int>("--kill-agents") { Description = "Agents of the silo-loss run (3 silos, checkpoints every round in Redis)", DefaultValueFactory = _ => 100_000 };
        var killRounds = new Option<int>("--kill-rounds") { Description = "Rounds of the silo-loss run (a silo is killed after round 2)", DefaultValueFactory = _ => 6 };
        var clusterBench = new Command("cluster", "The cluster on this machine: a heuristic run on 1 embedded silo and on 2 and 3 silo processes (s/round, peak RSS per silo), and a silo killed with kill -9 mid-run (time to declared dead and to running again, rounds run again). Starts its own redis-server.")
        {
            clusterAgents, clusterRounds, clusterSilos, killAgents, killRounds,
        };
        clusterBench.SetAction(async (parse, cancellationToken) =>
        {
            var counts = new List<int>();
            foreach (var part in parse.GetRequiredValue(clusterSilos).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) || count is < 1 or > 8)
                {
                    await error.WriteLineAsync($"error: --silos: '{part}' is not a silo count in 1..8");
                    return ExitCodes.BadInput;
                }

                counts.Add(count);
            }

            foreach (var (name, value, least) in new[] { ("--agents", parse.GetValue(clusterAgents), 1), ("--rounds", parse.GetValue(clusterRounds), 1), ("--kill-agents", parse.GetValue(killAgents), 1), ("--kill-rounds", parse.GetValue(killRounds), 4) })
            {
                if (value < least)
                {
                    await error.WriteLineAsync($"error: {name}: must be at least {least} (got {value})");
                    return ExitCodes.BadInput;
                }
            }

            var settings = new ClusterBench.Settings(parse.GetValue(clusterAgents), parse.GetValue(clusterRounds), [.. counts], parse.GetValue(killAgents), parse.GetValue(killRounds));
            return await ClusterBench.ExecuteAsync(settings, output, error, cancellationToken);
        });

        var consoleMode = new Option<string>("--mode") { Description = "all | plain | console | otlp | dashboard (default all, each in its own process)", DefaultValueFactory = _ => "all" };
        var consoleAgents = new Option<int>("--agents", "-n") { Description = "Agents (default 1,000,000)", DefaultValueFactory = _ => 1_000_000 };
        var consoleRounds = new Option<int>("--rounds", "-r") { Description = "Rounds (default 5)", DefaultValueFactory = _ => 5 };
        var consoleHosting = new Option<string>("--hosting") { Description = "packed | grain (default packed)", DefaultValueFactory = _ => "packed" };
        var consoleRepeat = new Option<int>("--repeat") { Description = "Runs of each mode, interleaved; the table gives medians (default 3)", DefaultValueFactory = _ => 3 };
        var consoleWarm = new Option<bool>("--warm") { Description = $"Measure a process that has already served a run: each mode first runs the scenario with {ConsoleBench.WarmUpAgents:N0} agents, then the measured run (default: the measured run is the process's first)" };
        var consoleBench = new Command("console", "What watching costs: the same guess-2/3 run plain, in the web console, with OTLP export on, with Orleans' dashboard open.")
        {
            consoleMode, consoleAgents, consoleRounds, consoleHosting, consoleRepeat, consoleWarm,
        };
        consoleBench.SetAction(async (parse, cancellationToken) =>
        {
            var mode = parse.GetRequiredValue(consoleMode);
            if (mode != "all" && !ConsoleBench.Modes.Contains(mode))
            {
                await error.WriteLineAsync($"error: --mode: unknown mode '{mode}' (expected all, {string.Join(", ", ConsoleBench.Modes)})");
                return ExitCodes.BadInput;
            }

            var hosting = parse.GetRequiredValue(consoleHosting);
            if (hosting is not ("packed" or "grain"))
            {
                await error.WriteLineAsync($"error: --hosting: unknown hosting '{hosting}' (expected packed or grain)");
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(consoleAgents) < 1 || parse.GetValue(consoleRounds) < 2 || parse.GetValue(consoleRepeat) < 1)
            {
                await error.WriteLineAsync("error: --agents and --repeat must be 1 or more, and --rounds 2 or more (the first round is set-up; the rest are compared)");
                return ExitCodes.BadInput;
            }

            return await ConsoleBench.ExecuteAsync(
                new ConsoleBench.Settings(mode, parse.GetValue(consoleAgents), parse.GetValue(consoleRounds), BenchHosting(hosting), parse.GetValue(consoleRepeat), parse.GetValue(consoleWarm)),
                output, error, cancellationToken);
        });
        return new Command("bench", "Benchmarks that print a table and one JSON line.") { engine, agentsnet, swarmbench, inference, logBench, clusterBench, consoleBench };
    }

    /// <summary>A bench's <c>--hosting</c> name, already checked to be <c>packed</c> or <c>grain</c>.</summary>
    private static Abstractions.AgentHosting BenchHosting(string name) =>
        name == "packed" ? Abstractions.AgentHosting.Packed : Abstractions.AgentHosting.Grain;

    private static IAnsiConsole Console(TextWriter output)
    {
        var interactive = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!interactive)
        {
            // Logs and pipes have no width: do not wrap the per-round table at 80 columns.
            console.Profile.Width = 200;
        }

        return console;
    }

    /// <summary>A comma-separated list of whole numbers, or null after naming the one that is not.</summary>
    private static List<int>? WholeNumbers(string text, string option, TextWriter error)
    {
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                error.WriteLine($"error: {option}: '{part}' is not a whole number");
                return null;
            }

            values.Add(value);
        }

        return values;
    }
}
