using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentSwarm.Web;

/// <summary>Serves the console's pages from the resources embedded in this assembly (wwwroot/).</summary>
internal static class StaticAssets
{
    private static readonly Assembly Assembly = typeof(StaticAssets).Assembly;

    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    };

    public static void MapPages(this IEndpointRouteBuilder endpoints)
    {
        // One page: every console route (#/runs, #/runs/ID, ...) is drawn by app.js from the API.
        endpoints.MapGet("/", () => Serve("index.html"));
        endpoints.MapGet("/assets/{name}", (string name) => Serve(name));
    }

    private static IResult Serve(string name)
    {
        var stream = Assembly.GetManifestResourceStream("wwwroot/" + name);
        if (stream is null)
        {
            return Results.NotFound();
        }

        var type = Types.TryGetValue(Path.GetExtension(name), out var known) ? known : "application/octet-stream";
        return Results.Stream(stream, type);
    }
}
