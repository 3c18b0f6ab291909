using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AgentSwarm.Web;

/// <summary>
/// The console's one lock: with a token set, every request must carry it, as <c>Authorization: Bearer TOKEN</c> (scripts)
/// or <c>?token=TOKEN</c> (the link the console prints), which also sets an HttpOnly cookie so the page's own calls and
/// its event streams carry it from then on. Without a token the console must listen on loopback only.
/// </summary>
public static class ConsoleAccess
{
    /// <summary>
    /// The token cookie's name for a console on <paramref name="port"/>: browsers share cookies between the ports of one
    /// host, so two consoles there (the console silos of a cluster on one machine) would overwrite each other's.
    /// </summary>
    public static string CookieName(int? port) => $"agentswarm-token-{port ?? 0}";

    /// <summary>The header the Aspire dashboard sends its resource service API key in (Dashboard:ResourceServiceClient:ApiKey).</summary>
    public const string ResourceServiceKeyHeader = "x-resource-service-api-key";

    /// <summary>Whether every address in <paramref name="urls"/> is a loopback one (localhost, 127.x, ::1).</summary>
    public static bool LoopbackOnly(string urls) => Split(urls).All(IsLoopback);

    public static IEnumerable<string> Split(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Checks each address parses as http(s)://host:port; returns a message naming the bad one, or null.</summary>
    public static string? Problem(string urls)
    {
        var list = Split(urls).ToList();
        if (list.Count == 0)
        {
            return "no address given";
        }

        foreach (var url in list)
        {
            if (!Uri.TryCreate(Wildcards(url), UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https"))
            {
                return $"'{url}' is not an http:// or https:// address with a host and port";
            }
        }

        return null;
    }

    /// <summary>A new random token: 32 bytes, URL-safe base64.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether the request carries the token (header, query or cookie); the query form also sets the cookie.</summary>
    public static bool Admit(HttpContext context, string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        if (context.Request.Headers.Authorization.ToString() is { Length: > 7 } header && header.StartsWith("Bearer ", StringComparison.Ordinal)
            && Same(header[7..], expected))
        {
            return true;
        }

        // The Aspire dashboard's resource service client, in its ApiKey mode.
        if (context.Request.Headers[ResourceServiceKeyHeader].ToString() is { Length: > 0 } key && Same(key, expected))
        {
            return true;
        }

        if (context.Request.Query.TryGetValue("token", out var query) && Same(query.ToString(), expected))
        {
            context.Response.Cookies.Append(CookieName(context.Connection.LocalPort), token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true, Secure = context.Request.IsHttps });
            return true;
        }

        return context.Request.Cookies.TryGetValue(CookieName(context.Connection.LocalPort), out var cookie) && Same(cookie, expected);
    }

    private static bool Same(string given, byte[] expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);

    /// <summary>Whether a host name (a request's Host, an address's host) is loopback: localhost, 127.x or ::1.</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);

    /// <summary>
    /// Binds one address as --urls writes it: localhost (both loopbacks; port 0 takes 127.0.0.1), an IP, or * / + / a
    /// host name for every interface.
    /// </summary>
    public static void Listen(KestrelServerOptions kestrel, string url, Action<ListenOptions>? configure)
    {
        var uri = Address(url);
        void Configure(ListenOptions endpoint)
        {
            configure?.Invoke(endpoint);
            if (uri.Scheme == "https")
            {
                endpoint.UseHttps();
            }
        }

        if (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (uri.Port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0, Configure);
            }
            else
            {
                kestrel.ListenLocalhost(uri.Port, Configure);
            }
        }
        else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
        {
            kestrel.Listen(address, uri.Port, Configure);
        }
        else
        {
            kestrel.ListenAnyIP(uri.Port, Configure);
        }
    }

    /// <summary>An address as --urls writes it (checked by <see cref="Problem"/>), its wildcard hosts * and + read as 0.0.0.0.</summary>
    public static Uri Address(string url) => new(Wildcards(url));

    private static string Wildcards(string url) =>
        url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && IsLoopbackHost(uri.Host);
}
