namespace AgentSwarm.Hosting;

/// <summary>
/// Where a cluster's membership lives: <c>localhost</c> (development: every silo on this machine, the first one the
/// primary) or <c>redis=HOST:PORT</c> (Microsoft.Orleans.Clustering.Redis). It becomes the standard
/// <c>Orleans:Clustering</c> settings, so appsettings, environment variables and a future AppHost say the same.
/// </summary>
public sealed record ClusterAddress(string Kind, string? Connection)
{
    public const string Localhost = "localhost";
    public const string Redis = "redis";

    public static ClusterAddress Development { get; } = new(Localhost, null);

    public override string ToString() => Connection is null ? Kind : $"{Kind}={Connection}";

    /// <summary>Parses <c>localhost</c> or <c>redis=HOST:PORT[,options]</c>; the message names what is wrong.</summary>
    public static bool TryParse(string? text, out ClusterAddress address, out string problem)
    {
        address = Development;
        problem = string.Empty;
        var value = text?.Trim() ?? string.Empty;
        if (value.Equals(Localhost, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var equals = value.IndexOf('=', StringComparison.Ordinal);
        var kind = equals < 0 ? value : value[..equals];
        if (!kind.Equals(Redis, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"'{value}' is not a cluster address: expected localhost or redis=HOST:PORT";
            return false;
        }

        var connection = equals < 0 ? string.Empty : value[(equals + 1)..].Trim();
        var endpoint = connection.Split(',')[0];
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = $"'{value}': the Redis address must be HOST:PORT with a port in 1..65535 (got '{endpoint}')";
            return false;
        }

        address = new ClusterAddress(Redis, connection);
        return true;
    }

    /// <summary>The standard Orleans settings for this address (none for localhost: the host sets that up in code).</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        if (Kind == Redis)
        {
            yield return new("Orleans:Clustering:ProviderType", "Redis");
            yield return new("Orleans:Clustering:ConnectionString", Connection);
        }
    }

    /// <summary>The address the configuration describes (Orleans:Clustering), or localhost when it describes none.</summary>
    public static ClusterAddress FromSettings(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var provider = configuration["Orleans:Clustering:ProviderType"];
        return provider is null || provider.Equals("Development", StringComparison.OrdinalIgnoreCase)
            ? Development
            : new ClusterAddress(provider.ToLowerInvariant(), configuration["Orleans:Clustering:ConnectionString"]);
    }
}
