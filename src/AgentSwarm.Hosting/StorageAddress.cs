using AgentSwarm.Engine;

namespace AgentSwarm.Hosting;

/// <summary>
/// Where run records and partition checkpoints are kept: <c>memory</c> (the embedded default: gone with the process),
/// <c>redis=HOST:PORT</c> (Microsoft.Orleans.Persistence.Redis) or <c>azure-tables=CONNECTION STRING</c> (Azure Table
/// storage, or Azurite). It becomes the standard <c>Orleans:GrainStorage:agentswarm</c> settings.
/// </summary>
public sealed record StorageAddress(string Kind, string? Connection)
{
    public const string Memory = "memory";
    public const string Redis = "redis";
    public const string AzureTables = "azure-tables";

    public static StorageAddress InMemory { get; } = new(Memory, null);

    public override string ToString() => Connection is null ? Kind : $"{Kind}={(Kind == AzureTables ? "..." : Connection)}";

    public static bool TryParse(string? text, out StorageAddress address, out string problem)
    {
        address = InMemory;
        problem = string.Empty;
        var value = text?.Trim() ?? string.Empty;
        if (value.Equals(Memory, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var equals = value.IndexOf('=', StringComparison.Ordinal);
        var kind = (equals < 0 ? value : value[..equals]).ToLowerInvariant();
        var connection = equals < 0 ? string.Empty : value[(equals + 1)..].Trim();
        if (kind is not (Redis or AzureTables))
        {
            problem = $"'{value}' is not a storage address: expected memory, redis=HOST:PORT or azure-tables=CONNECTION_STRING";
            return false;
        }

        if (connection.Length == 0)
        {
            problem = $"'{value}': {kind} needs a connection after '='";
            return false;
        }

        address = new StorageAddress(kind, connection);
        return true;
    }

    public IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        var section = $"Orleans:GrainStorage:{EngineOptions.StorageName}";
        if (Kind == Memory)
        {
            yield return new($"{section}:ProviderType", "Memory");
        }
        else if (Kind == Redis)
        {
            yield return new($"{section}:ProviderType", "Redis");
            yield return new($"{section}:ConnectionString", Connection);
        }
        else if (Kind == AzureTables)
        {
            yield return new($"{section}:ProviderType", "AzureTableStorage");
            yield return new($"{section}:ConnectionString", Connection);
        }
    }
}
