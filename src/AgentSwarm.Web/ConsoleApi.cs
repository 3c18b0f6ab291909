using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Replay;
using AgentSwarm.Reports;
using AgentSwarm.Scenarios.Files;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Web;

/// <summary>What a launch or a validation asks for: a scenario (a file of the folder, or YAML text) and the overrides `run` takes.</summary>
/// <param name="Scenario">The scenario file's name in the scenarios folder; with <paramref name="Yaml"/>, the name errors give it.</param>
/// <param name="Yaml">The scenario's text (the editor's); null: read the named file.</param>
public sealed record LaunchRequest(
    string? Scenario = null,
    string? Yaml = null,
    int? Agents = null,
    int? Rounds = null,
    // A string too: a page's numbers are doubles, which would round a seed above 2^53 to another one.
    [property: System.Text.Json.Serialization.JsonNumberHandling(System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString)] ulong? Seed = null,
    string? Policy = null,
    int? Partitions = null,
    string? Hosting = null,
    string[]? Llm = null)
{
    public RunOverrides Overrides() => new(Agents, Rounds, Seed, Policy, Partitions, Llm: Llm is { Length: > 0 } ? Llm : null, Hosting: Hosting);
}

/// <summary>One LLM call of an agent, with its whole prompt and the response.</summary>
public sealed record AgentCall(int Sequence, string? Endpoint, int PromptTokens, int OutputTokens, double LatencyMs, int Retries, bool Cached, IReadOnlyList<LlmMessage> Prompt, string? Response, string? Error);

/// <summary>One round of an agent: what it received, its calls, its action and messages, its memory (from snapshots).</summary>
public sealed record AgentRoundView(int Round, IReadOnlyList<AgentMail> Inbox, IReadOnlyList<AgentCall> Calls, double? Number, string? Text, IReadOnlyList<AgentMail> Sent, string[]? Memory);

/// <summary>
/// The console's HTTP API (JSON; a live run's progress as server-sent events), which its pages use and scripts can too.
/// docs/console.md lists every endpoint.
/// </summary>
public static partial class ConsoleApi
{
    public static void MapConsoleApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");

        api.MapGet("/info", (ConsoleOptions options, ScenarioLibrary library, RunBoard board) => Ok(new
        {
            product = "AgentSwarm",
            version = typeof(ConsoleApi).Assembly.GetName().Version?.ToString(),
            cluster = options.Cluster,
            orleansDashboard = options.OrleansDashboard ? "/orleans/" : null,
            scenarios = library.Folder,
            runs = board.Folder,
        }));

        api.MapGet("/scenarios", (ScenarioLibrary library) => Ok(new { folder = library.Folder, scenarios = library.List() }));
        api.MapGet("/scenarios/{**name}", (string name, ScenarioLibrary library) => Ok(new { name, yaml = library.Read(name) }));
        api.MapPut("/scenarios/{**name}", async (string name, HttpRequest request, ScenarioLibrary library) =>
        {
            var text = await ReadTextAsync(request);
            library.Save(name, text);
            var (spec, errors) = library.Validate(name, text, new RunOverrides());
            return Ok(new { name, saved = true, valid = spec is not null, errors });
        });
        api.MapPost("/scenarios/validate", (LaunchRequest request, ScenarioLibrary library, HttpContext context) =>
        {
            var (name, text) = Source(request, library);
            var (spec, errors) = library.Validate(name, text, request.Overrides(), context.RequestAborted);
            return Ok(new { valid = spec is not null, errors, run = spec is null ? null : Describe(spec) });
        });

        api.MapGet("/runs", (RunBoard board) => Ok(board.List()));
        api.MapPost("/runs", (LaunchRequest request, ScenarioLibrary library, RunBoard board) =>
        {
            var (name, text) = Source(request, library);
            var (spec, errors) = library.Validate(name, text, request.Overrides());
            if (spec is null)
            {
                return Results.Json(new { error = errors[0].Message, errors }, RunBoard.Json, statusCode: 400);
            }

            var entry = board.Start(spec, name);
            return Results.Json(entry, RunBoard.Json, statusCode: 201);
        });
        api.MapGet("/runs/{id}", async (string id, RunBoard board) =>
        {
            var entry = board.Get(id);
            var placement = await board.PlacementAsync(id);
            return Ok(new
            {
                run = entry,
                rounds = board.Rounds(id),
                placement = placement is null ? null : new { placement.ControllerSilo, placement.PartitionSilos, placement.Recoveries, placement.CheckpointEvery, placement.CheckpointRound },
            });
        });
        api.MapGet("/runs/{id}/rounds", (string id, RunBoard board) =>
        {
            board.Get(id);
            return Ok(board.Rounds(id));
        });
        api.MapGet("/runs/{id}/llm-rounds", async (string id, RunBoard board) => Ok(await LlmRoundsAsync(id, board)));
        api.MapGet("/runs/{id}/rounds/{round:int}/agents", async (string id, int round, int? bin, int? limit, RunBoard board, Orleans.Serialization.Serializer serializer, AgentSwarm.Engine.Scenarios.ScenarioCatalog scenarios) =>
            Ok(await AgentsInBinAsync(id, round, bin, limit ?? 200, board, serializer, scenarios)));
        api.MapGet("/runs/{id}/events", async (string id, RunBoard board, HttpContext context) =>
        {
            var events = board.Watch(id, context.RequestAborted);
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            try
            {
                await foreach (var message in events.ReadAllAsync(context.RequestAborted))
                {
                    await context.Response.WriteAsync($"event: {message.Name}\ndata: {message.Data}\n\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The page went away.
            }
        });
        api.MapPost("/runs/{id}/cancel", async (string id, RunBoard board) =>
        {
            await board.CancelAsync(id);
            return Results.Json(new { id, cancelling = true }, RunBoard.Json, statusCode: 202);
        });
        api.MapPost("/runs/{id}/resume", (string id, RunBoard board) => Results.Json(board.Resume(id), RunBoard.Json, statusCode: 202));
        api.MapDelete("/runs/{id}", (string id, string? confirm, RunBoard board) =>
        {
            board.Delete(id, confirm);
            return Ok(new { id, deleted = true });
        });
        api.MapGet("/runs/{id}/agents/{agent:int}", async (string id, int agent, int? round, RunBoard board) =>
        {
            var entry = board.Get(id);
            if (agent < 0 || entry.Agents > 0 && agent >= entry.Agents)
            {
                throw new ConsoleProblem(400, $"agent {agent} is not in run '{id}' (agents 0..{entry.Agents - 1})");
            }

            var live = await board.LiveAgentAsync(id, agent);
            var log = board.OpenLog(id);
            AgentHistory? history = null;
            if (log is not null)
            {
                try
                {
                    history = AgentHistory.Read(log, agent, round);
                }
                catch (ArgumentOutOfRangeException ex)
                {
                    throw new ConsoleProblem(400, ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal));
                }
                catch (LogFormatException) when (live is not null)
                {
                    // A live run's log is still being written; what the agent holds now is still worth showing.
                }
                catch (LogFormatException ex)
                {
                    throw new ConsoleProblem(422, $"run '{id}': {ex.Message}");
                }
            }

            if (history is null && live is null)
            {
                throw new ConsoleProblem(409, $"run '{id}' has no event log and is not running: nothing to show of agent {agent}");
            }

            return Ok(new
            {
                agent,
                run = id,
                partition = history?.Partition,
                neighbours = live?.Neighbours ?? history?.Neighbours,
                live = live is null ? null : new { live.LastRound, live.Memory, live.Transcript, live.Counters },
                rounds = history?.Rounds.Select(r => new AgentRoundView(
                    r.Round,
                    r.Inbox,
                    [.. r.Calls.Select(c => new AgentCall(c.Call.Sequence, c.Call.Endpoint, c.Call.PromptTokens, c.Call.OutputTokens, c.Call.LatencyMs, c.Call.Retries, c.Call.Cached, c.Prompt, c.Call.Response, c.Call.Error))],
                    r.Number,
                    r.Text,
                    r.Sent,
                    r.Memory)) ?? [],
            });
        });
        api.MapPost("/runs/{id}/verify", async (string id, RunBoard board, CancellationToken cancellationToken) =>
        {
            var result = await board.VerifyAsync(id, cancellationToken);
            return Ok(new
            {
                id,
                verified = result.Verified,
                state = result.Outcome.Final.State,
                rounds = result.Rounds.Select(r => new { r.Round, recordedHash = $"{r.RecordedHash:x16}", replayedHash = $"{r.ReplayedHash:x16}", r.SameHash, r.SameStats, recordedSeconds = r.Recorded.TotalSeconds, replayedSeconds = r.Replayed.TotalSeconds }),
                problems = result.Problems,
            });
        });
        api.MapPost("/runs/{id}/report", async (string id, RunBoard board) =>
        {
            var log = board.FinishedLog(id, "report on");
            var report = await RunBoard.ReadingLogAsync(id, () => RunReport.WriteAsync(log, Path.Combine(board.RunFolder(id), "report")));
            return Ok(new { id, tables = report.Tables.Select(t => new { t.Name, t.Rows }), charts = report.Charts.Select(c => Path.GetFileName(c)), files = Files(board, id) });
        });
        api.MapGet("/runs/{id}/files", (string id, RunBoard board) =>
        {
            board.Get(id);
            return Ok(Files(board, id));
        });
        api.MapGet("/runs/{id}/files/{**path}", (string id, string path, RunBoard board) =>
        {
            board.Get(id);
            var folder = board.RunFolder(id);
            if (FolderPath.Within(folder, path) is not { } full || !File.Exists(full) || !IsServed(Path.GetRelativePath(folder, full)))
            {
                throw new ConsoleProblem(404, $"run '{id}' has no file '{path}'");
            }

            var type = Path.GetExtension(full) switch
            {
                ".csv" => "text/csv",
                ".json" or ".jsonl" => "application/json",
                ".png" => "image/png",
                ".md" => "text/markdown",
                _ => "application/octet-stream",
            };
            return Results.File(full, type, fileDownloadName: Path.GetExtension(full) == ".png" ? null : Path.GetFileName(full));
        });
    }

    /// <summary>
    /// The agents whose answer in a finished round counts in one bar of the round's histogram, as the scenario counts it
    /// (<see cref="AgentSwarm.Engine.Scenarios.IScenario.HistogramBin"/>), read from the run's log off the request's
    /// thread: how many, and the first <paramref name="limit"/> by index with their answers.
    /// </summary>
    private static async Task<object> AgentsInBinAsync(string id, int round, int? bin, int limit, RunBoard board, Orleans.Serialization.Serializer serializer, AgentSwarm.Engine.Scenarios.ScenarioCatalog scenarios)
    {
        board.Get(id);
        if (bin is not >= 0)
        {
            throw new ConsoleProblem(400, "bin: give the histogram bar, 0 or more (?bin=N)");
        }

        if (limit is < 1 or > 10_000)
        {
            throw new ConsoleProblem(400, $"limit must be in 1..10000 (got {limit})");
        }

        var log = board.OpenLog(id) ?? throw new ConsoleProblem(409, $"run '{id}' has no event log: its agents' answers were not recorded");
        if (round < 1 || round > log.LastCompleteRound)
        {
            throw new ConsoleProblem(400, $"round {round} of run '{id}' is not finished in its log (rounds 1..{log.LastCompleteRound})");
        }

        return await RunBoard.ReadingLogAsync(id, () => Task.Run(() =>
        {
            var spec = RecordedRounds.Spec(log, serializer);
            var scenario = scenarios.Get(spec.Scenario);
            var matches = new List<(int Agent, double Number)>();
            foreach (var record in log.PartitionRounds(round))
            {
                if (record.Round != round)
                {
                    continue;
                }

                for (var i = 0; i < record.Numbers.Length; i++)
                {
                    if (scenario.HistogramBin(spec.Config, new AgentAction(record.Numbers[i], record.Texts?[i])) == bin)
                    {
                        matches.Add((record.First + i, record.Numbers[i]));
                    }
                }
            }

            matches.Sort();
            return (object)new { run = id, round, bin, count = matches.Count, agents = matches.Take(limit).Select(m => new { agent = m.Agent, number = m.Number }) };
        }));
    }

    /// <summary>
    /// A run's LLM calls counted by round (<see cref="LlmRound"/>), read from its log off the request's thread: what
    /// the page's LLM charts draw for a run that is not live. Empty for a run without a log or without LLM calls.
    /// </summary>
    private static async Task<IReadOnlyList<LlmRound>> LlmRoundsAsync(string id, RunBoard board)
    {
        board.Get(id);
        if (board.OpenLog(id) is not { } log)
        {
            return [];
        }

        return await RunBoard.ReadingLogAsync(id, () => Task.Run(() => LlmRound.Read(log, board.Rounds(id))));
    }

    /// <summary>
    /// Turns a <see cref="ConsoleProblem"/> (and a body that is not JSON) into its status and <c>{"error": ...}</c>; an
    /// API answer the framework gave with a status and no body (no such route, a method or content type an endpoint does
    /// not take) gets one too, so every API error a script sees names what was wrong.
    /// </summary>
    public static async Task HandleProblemsAsync(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
            var response = context.Response;
            if (response.StatusCode >= 400 && !response.HasStarted && response.ContentType is null && context.Request.Path.StartsWithSegments("/api"))
            {
                var request = context.Request;
                var message = response.StatusCode switch
                {
                    404 => $"no API endpoint answers {request.Method} {request.Path} (docs/console.md lists them; a run's agent and a round are numbers)",
                    405 => $"{request.Path} does not take {request.Method}",
                    415 => $"{request.Method} {request.Path} takes a JSON body (Content-Type: application/json), not {request.ContentType ?? "a body without a Content-Type"}",
                    _ => $"{request.Method} {request.Path}: {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(response.StatusCode)}",
                };
                await Results.Json(new { error = message }, RunBoard.Json, statusCode: response.StatusCode).ExecuteAsync(context);
            }
        }
        catch (ConsoleProblem problem) when (!context.Response.HasStarted)
        {
            await Results.Json(new { error = problem.Message }, RunBoard.Json, statusCode: problem.Status).ExecuteAsync(context);
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            var message = bad.InnerException is JsonException json
                ? $"the request body is not the JSON expected: {UserText.Plain(json.Message)}"
                : $"{context.Request.Method} {context.Request.Path} takes a JSON object in its body ({(bad.Message.Contains("was not provided", StringComparison.Ordinal) ? "none was sent" : UserText.Plain(bad.Message))})";
            await Results.Json(new { error = message }, RunBoard.Json, statusCode: bad.StatusCode).ExecuteAsync(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested && context.Request.Path.StartsWithSegments("/api"))
        {
            // Anything else (a file the disk refuses, the cluster failing a call): logged, and a 500 that says what broke.
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleApi));
            LogUnexpected(logger, ex, context.Request.Method, context.Request.Path);
            await Results.Json(new { error = $"{context.Request.Method} {context.Request.Path} failed: {ex.Message}" }, RunBoard.Json, statusCode: 500).ExecuteAsync(context);
        }
    }

    private static IResult Ok(object value) => Results.Json(value, RunBoard.Json);

    [LoggerMessage(Level = LogLevel.Error, Message = "Console API {Method} {Path} failed")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);

    private static (string Name, string Text) Source(LaunchRequest request, ScenarioLibrary library)
    {
        if (request.Yaml is { } yaml)
        {
            return (request.Scenario ?? "untitled.yaml", yaml);
        }

        return request.Scenario is { } name
            ? (name, library.Read(name))
            : throw new ConsoleProblem(400, "give a scenario: the name of a file in the scenarios folder, or its YAML text");
    }

    private static object Describe(RunSpec spec) => new
    {
        spec.Scenario,
        spec.Agents,
        spec.Rounds,
        spec.Seed,
        policy = spec.Policy.Name,
        spec.Partitions,
        hosting = spec.Hosting.ToString().ToLowerInvariant(),
        topology = spec.Topology.Kind.ToString(),
        llmEndpoints = spec.Policy.Llm?.Endpoints,
    };

    private static async Task<string> ReadTextAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                return JsonDocument.Parse(text).RootElement.GetProperty("yaml").GetString() ?? string.Empty;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ConsoleProblem(400, "a JSON body must be {\"yaml\": \"...\"}; or send the file as text/plain");
            }
        }

        return text;
    }

    // The log is read through the agent, verify and report endpoints, not downloaded file by file; the follower lock is
    // the console's own.
    private static bool IsServed(string relative) =>
        !relative.StartsWith("log" + Path.DirectorySeparatorChar, StringComparison.Ordinal) && relative != RunBoard.FollowerLock;

    private static IReadOnlyList<object> Files(RunBoard board, string id)
    {
        var folder = board.RunFolder(id);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f))
            .Where(IsServed)
            .Select(f => f.Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(f => (object)new { name = f, bytes = new FileInfo(Path.Combine(folder, f)).Length })];
    }
}
