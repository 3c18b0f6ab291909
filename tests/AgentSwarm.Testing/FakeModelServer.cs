using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Testing;

/// <summary>What the fake server does with one request.</summary>
public enum Behaviour
{
    Answer,
    Error500,
    Busy503,
    NotFound404,
    Slow,
    MalformedJson,
    CloseConnection,
}

/// <summary>
/// An in-process HTTP server on a loopback port that speaks Ollama's /api/chat and the OpenAI API's
/// /v1/chat/completions wire formats, streaming (NDJSON / server-sent events) and not, including their error bodies.
/// Each request is recorded; <see cref="Decide"/> chooses how it is answered.
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private FakeModelServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>How to answer request n (0-based). Default: answer.</summary>
    public Func<int, JsonObject, Behaviour> Decide { get; set; } = (_, _) => Behaviour.Answer;

    /// <summary>The text of an answer. Default: "42".</summary>
    public Func<JsonObject, string> AnswerText { get; set; } = body => "42";

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    public int Count => Volatile.Read(ref _count);

    public static async Task<FakeModelServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeModelServer(app);
        app.MapPost("/api/chat", context => server.HandleAsync(context, ollama: true));
        app.MapPost("/v1/chat/completions", context => server.HandleAsync(context, ollama: false));
        await app.StartAsync();
        server.BaseUri = new Uri(app.Urls.First());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context, bool ollama)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        var n = Interlocked.Increment(ref _count) - 1;
        Requests.Enqueue(body);
        var behaviour = Decide(n, body);
        var stream = body["stream"]?.GetValue<bool>() ?? ollama; // Ollama streams unless told not to.
        switch (behaviour)
        {
            case Behaviour.Error500:
                await ErrorAsync(context, 500, ollama, "model runner crashed");
                return;
            case Behaviour.Busy503:
                await ErrorAsync(context, 503, ollama, "server overloaded, try again");
                return;
            case Behaviour.NotFound404:
                await ErrorAsync(context, 404, ollama, "model 'missing' not found");
                return;
            case Behaviour.Slow:
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up, as it should.
                }

                return;
            case Behaviour.MalformedJson:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"model\": \"m\", \"message\": {\"role\": \"assist");
                return;
            case Behaviour.CloseConnection:
                context.Abort();
                return;
        }

        var text = AnswerText(body);
        var model = body["model"]?.GetValue<string>() ?? "model";
        if (ollama)
        {
            await OllamaAsync(context, model, text, stream);
        }
        else
        {
            await OpenAiAsync(context, model, text, stream);
        }
    }

    private static async Task ErrorAsync(HttpContext context, int status, bool ollama, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = ollama
            ? new JsonObject { ["error"] = message }
            : new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "server_error", ["code"] = status } };
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task OllamaAsync(HttpContext context, string model, string text, bool stream)
    {
        const string created = "2026-11-22T12:00:00.000000Z";
        JsonObject Done(string content) => new()
        {
            ["model"] = model,
            ["created_at"] = created,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
            ["done"] = true,
            ["done_reason"] = "stop",
            ["total_duration"] = 5_000_000,
            ["load_duration"] = 1_000_000,
            ["prompt_eval_count"] = 17,
            ["prompt_eval_duration"] = 2_000_000,
            ["eval_count"] = 3,
            ["eval_duration"] = 2_000_000,
        };

        if (!stream)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(Done(text).ToJsonString());
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        foreach (var piece in Pieces(text))
        {
            var chunk = new JsonObject
            {
                ["model"] = model,
                ["created_at"] = created,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = piece },
                ["done"] = false,
            };
            await context.Response.WriteAsync(chunk.ToJsonString() + "\n");
            await context.Response.Body.FlushAsync();
        }

        await context.Response.WriteAsync(Done(string.Empty).ToJsonString() + "\n");
    }

    private static async Task OpenAiAsync(HttpContext context, string model, string text, bool stream)
    {
        if (!stream)
        {
            var body = new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion",
                ["created"] = 1_795_000_000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 17, ["completion_tokens"] = 3, ["total_tokens"] = 20 },
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body.ToJsonString());
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var first = true;
        foreach (var piece in Pieces(text))
        {
            var delta = new JsonObject { ["content"] = piece };
            if (first)
            {
                delta["role"] = "assistant";
                first = false;
            }

            await SseAsync(context, Chunk(model, delta, null, null));
        }

        await SseAsync(context, Chunk(model, new JsonObject(), "stop", null));
        await SseAsync(context, Chunk(model, null, null, new JsonObject { ["prompt_tokens"] = 17, ["completion_tokens"] = 3, ["total_tokens"] = 20 }));
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    private static JsonObject Chunk(string model, JsonObject? delta, string? finish, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-1",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_795_000_000,
            ["model"] = model,
            ["choices"] = delta is null
                ? new JsonArray()
                : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };
        if (usage is not null)
        {
            chunk["usage"] = usage;
        }

        return chunk;
    }

    private static async Task SseAsync(HttpContext context, JsonObject chunk)
    {
        await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
        await context.Response.Body.FlushAsync();
    }

    private static IEnumerable<string> Pieces(string text)
    {
        for (var i = 0; i < text.Length; i += 3)
        {
            yield return text.Substring(i, Math.Min(3, text.Length - i));
        }
    }
}
