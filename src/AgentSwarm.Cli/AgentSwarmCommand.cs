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
                await error.WriteLineAsync($"error: {problem.Message}");
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
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failure outside the run itself (the silo would not start, the disk is full): say what, not where.
            await error.WriteLineAsync($"error: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("AgentSwarm: actor-based simulation of very large populations of LLM-driven agents, on Orleans.");
        root.Add(RunCommandLine(output, error));
        root.Add(BenchCommandLine(output, error));
        root.Add(ReplayCommandLine(output, error));
        root.Add(ReportCommandLine(output, error));
        root.Add(InspectCommandLine(output, error));
        return root;
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
        var latency = new Option<string?>("--latency") { Description = "dummy-latency's wait per agent, e.g. 1s or 250ms" };
        var concurrency = new Option<int?>("--concurrency") { Description = "Agents stepped at once across the run (0 = policy default)" };
        var outDir = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder (default runs/<run id>)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the engine's log on stderr" };
        var noLog = new Option<bool>("--no-log") { Description = "Do not write the event log (OUT/log/)" };
        var snapshotEvery = new Option<int>("--snapshot-every") { Description = "Write every agent's memory into the log every N rounds and after the last (0: never)" };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Resume a stopped run from its log (OUT/log): rounds up to its last complete one are replayed, the rest run live" };

        var command = new Command("run", "Run a scenario on an embedded in-process silo and write summary.json and per-round results.")
        {
            scenario, agents, rounds, seed, policy, llm, partitions, latency, concurrency, outDir, verbose, noLog, snapshotEvery, resume,
        };

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
                    parse.GetValue(llm) is { Length: > 0 } endpoints ? endpoints : null),
                parse.GetValue(outDir)?.FullName,
                parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning,
                !parse.GetValue(noLog),
                parse.GetValue(snapshotEvery),
                parse.GetValue(resume)?.FullName);
            return await RunCommand.ExecuteAsync(options, Console(output), error, cancellationToken);
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
            Description = "all | guess | latency | messages",
            DefaultValueFactory = _ => "all",
        };
        workload.AcceptOnlyFromAmong("all", "guess", "latency", "messages");
        var agents = new Option<int?>("--agents", "-n") { Description = "Agents (default: 1,000,000; 100,000 for messages)" };
        var rounds = new Option<int?>("--rounds", "-r") { Description = "Rounds (default: 5 for guess and messages, 1 for latency)" };
        var latency = new Option<string>("--latency")
        {
            Description = "dummy-latency's wait per agent",
            DefaultValueFactory = _ => "1s",
        };
        var partitions = new Option<int?>("--partitions") { Description = "Partitions (default automatic)" };

        var engine = new Command("engine", "Engine throughput and memory: 1M heuristic guess-2/3 agents, 1M dummy-latency agents, 100k messaging agents.")
        {
            workload, agents, rounds, latency, partitions,
        };
        engine.SetAction(async (parse, cancellationToken) =>
        {
            if (!DurationText.TryParse(parse.GetRequiredValue(latency), out var wait))
            {
                await error.WriteLineAsync($"error: --latency: expected a duration like 1s or 250ms, got '{parse.GetValue(latency)}'");
                return ExitCodes.BadInput;
            }

            var settings = new EngineBench.Settings(
                parse.GetRequiredValue(workload),
                parse.GetValue(agents),
                parse.GetValue(rounds),
                wait,
                parse.GetValue(partitions));
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
            var sizeList = new List<int>();
            foreach (var part in parse.GetRequiredValue(sizes).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                {
                    await error.WriteLineAsync($"error: --sizes: '{part}' is not a whole number");
                    return ExitCodes.BadInput;
                }

                sizeList.Add(size);
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

        var inferenceWorkload = new Option<string>("--workload", "-w") { Description = "all | efficiency | affinity | capacity", DefaultValueFactory = _ => "all" };
        inferenceWorkload.AcceptOnlyFromAmong("all", "efficiency", "affinity", "capacity");
        var inferenceAgents = new Option<int>("--agents", "-n") { Description = "efficiency: agents in the LLM round", DefaultValueFactory = _ => 100_000 };
        var endpointCount = new Option<int>("--endpoints") { Description = "efficiency: simulated GPUs", DefaultValueFactory = _ => 4 };
        var profile = new Option<string>("--profile") { Description = "efficiency: simulated GPU profile", DefaultValueFactory = _ => "h100-llama3-8b" };
        var requests = new Option<int>("--requests") { Description = "affinity: requests per routing policy", DefaultValueFactory = _ => 20_000 };
        var routing = new Option<string>("--routing") { Description = "efficiency: affinity | round-robin | least-loaded", DefaultValueFactory = _ => "affinity" };
        routing.AcceptOnlyFromAmong([.. Abstractions.LlmRouting.All]);
        var inference = new Command("inference", "The inference pool against simulated GPUs: efficiency against capacity, affinity against round-robin, a 1M-agent capacity estimate.")
        {
            inferenceWorkload, inferenceAgents, endpointCount, profile, requests, routing,
        };
        inference.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new InferenceBench.Settings(
                parse.GetRequiredValue(inferenceWorkload),
                Math.Max(1, parse.GetValue(inferenceAgents)),
                Math.Max(1, parse.GetValue(endpointCount)),
                parse.GetRequiredValue(profile),
                Math.Max(1, parse.GetValue(requests)),
                parse.GetRequiredValue(routing));
            return await InferenceBench.ExecuteAsync(settings, output, error, cancellationToken);
        });

        var logAgents = new Option<int>("--agents", "-n") { Description = "Agents", DefaultValueFactory = _ => 1_000_000 };
        var logRounds = new Option<int>("--rounds", "-r") { Description = "Rounds", DefaultValueFactory = _ => 5 };
        var logBench = new Command("log", "The event log: its cost per round and bytes per agent-step on heuristic guess-2/3, and replay speed.") { logAgents, logRounds };
        logBench.SetAction(async (parse, cancellationToken) =>
            await LogBench.ExecuteAsync(Math.Max(1, parse.GetValue(logAgents)), Math.Max(1, parse.GetValue(logRounds)), output, error, cancellationToken));

        return new Command("bench", "Benchmarks that print a table and one JSON line.") { engine, agentsnet, inference, logBench };
    }

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
}
