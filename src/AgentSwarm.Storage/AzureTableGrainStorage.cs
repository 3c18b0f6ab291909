using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace AgentSwarm.Storage;

/// <summary>
/// Orleans grain storage on Azure Table storage. One state is one head row plus as many continuation rows as its
/// size needs (see <see cref="GrainStateRows"/>), all written, replaced or deleted in one table transaction guarded
/// by the head row's ETag, so a write is all or nothing and a stale ETag throws <see cref="InconsistentStateException"/>.
/// </summary>
internal sealed partial class AzureTableGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Reads that find continuation rows of another version (a concurrent write) start again this many times.</summary>
    private const int TornReadAttempts = 3;

    private readonly string _name;
    private readonly AzureTableGrainStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly string _serviceId;
    private readonly ILogger<AzureTableGrainStorage> _logger;
    private readonly Lock _gate = new();
    private Task<TableClient>? _table;

    public AzureTableGrainStorage(
        string name,
        AzureTableGrainStorageOptions options,
        IGrainStorageSerializer serializer,
        IOptions<ClusterOptions> cluster,
        IActivatorProvider activators,
        ILogger<AzureTableGrainStorage> logger)
    {
        _name = name;
        _options = options;
        _serializer = serializer;
        _activators = activators;
        _serviceId = cluster.Value.ServiceId;
        _logger = logger;
    }

    /// <summary>The factory <c>AddGrainStorage</c> calls for the provider named <paramref name="name"/>.</summary>
    public static AzureTableGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<AzureTableGrainStorageOptions>>().Get(name);
        var serializer = options.GrainStorageSerializer ?? new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
        return ActivatorUtilities.CreateInstance<AzureTableGrainStorage>(services, name, options, serializer);
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(AzureTableGrainStorage)}-{_name}", _options.InitStage, _ => TableAsync());

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        for (var attempt = 1; ; attempt++)
        {
            var found = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
            if (!found.HasValue || found.Value is null)
            {
                grainState.State = _activators.GetActivator<T>().Create();
                grainState.ETag = null;
                grainState.RecordExists = false;
                return;
            }

            var head = found.Value;
            var rows = GrainStateRows.RowCount(head);
            var continuation = rows > 1 ? await ContinuationRowsAsync(table, head, rows, cancellationToken) : [];
            if (continuation is null)
            {
                if (attempt < TornReadAttempts)
                {
                    LogTornRead(_logger, _name, stateName, grainId, attempt);
                    continue;
                }

                throw new InconsistentStateException(
                    $"Azure Table grain storage '{_name}': state '{stateName}' of {grainId} kept changing while it was read ({TornReadAttempts} attempts); another activation is writing it");
            }

            var bytes = GrainStateRows.Join(head, continuation, Describe(stateName, grainId));
            grainState.State = _serializer.Deserialize<T>(new BinaryData(bytes));
            grainState.ETag = GrainStateRows.FormatETag(rows, head.ETag.ToString());
            grainState.RecordExists = true;
            return;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var raw = _serializer.Serialize(grainState.State).ToMemory();
        var (stored, compressed) = GrainStateRows.Encode(raw, _options.Compress);
        if (stored.Length > GrainStateRows.MaxStoredBytes)
        {
            throw new InvalidOperationException(
                $"Azure Table grain storage '{_name}' cannot write state '{stateName}' of grain {grainId}: it is {stored.Length} bytes " +
                $"({raw.Length} serialized{(compressed ? ", LZ4-compressed" : ", incompressible")}), over the limit of {GrainStateRows.MaxStoredBytes} bytes " +
                "that one Azure Table transaction (4 MiB, base64) can write atomically. Keep less in this state or spread it over several states or grains.");
        }

        var table = await TableAsync();
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        var previousRows = PreviousRows(grainState.ETag, stateName, grainId, out var headETag);
        var rows = GrainStateRows.Split(partitionKey, rowKey, stored, compressed, raw.Length, Guid.NewGuid().ToString("N"));
        var actions = new List<TableTransactionAction>(Math.Max(rows.Count, previousRows))
        {
            headETag is null
                ? new TableTransactionAction(TableTransactionActionType.Add, rows[0])
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, rows[0], headETag.Value),
        };
        actions.AddRange(rows.Skip(1).Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, row)));
        for (var stale = rows.Count; stale < previousRows; stale++)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partitionKey, GrainStateRows.ContinuationRowKey(rowKey, stale)), ETag.All));
        }

        var responses = await SubmitAsync(table, actions, "write", stateName, grainId, grainState.ETag, cancellationToken);
        var written = responses[0].Headers.ETag ?? throw new InvalidOperationException($"{Describe(stateName, grainId)}: the service returned no ETag for the head row");
        grainState.ETag = GrainStateRows.FormatETag(rows.Count, written.ToString());
        grainState.RecordExists = true;
        LogWritten(_logger, _name, stateName, grainId, stored.Length, rows.Count, compressed);
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var table = await TableAsync();
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        var previousRows = PreviousRows(grainState.ETag, stateName, grainId, out var headETag);
        if (headETag is null)
        {
            // Nothing to delete as far as the caller knows: that holds only if nothing is stored.
            var found = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, select: [GrainStateRows.RowsProperty], cancellationToken: cancellationToken);
            if (found.HasValue)
            {
                LogConflict(_logger, _name, "clear", stateName, grainId);
                throw new InconsistentStateException(
                    $"Azure Table grain storage '{_name}': clear of state '{stateName}' of {grainId} without an ETag, but the state exists",
                    found.Value?.ETag.ToString() ?? "(unknown)",
                    "(none)");
            }
        }
        else
        {
            var actions = new List<TableTransactionAction>(previousRows)
            {
                new(TableTransactionActionType.Delete, new TableEntity(partitionKey, rowKey), headETag.Value),
            };
            for (var row = 1; row < previousRows; row++)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partitionKey, GrainStateRows.ContinuationRowKey(rowKey, row)), ETag.All));
            }

            await SubmitAsync(table, actions, "clear", stateName, grainId, grainState.ETag, cancellationToken);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>The continuation rows of <paramref name="head"/>'s version in order, or null when the rows belong to another write.</summary>
    private static async Task<List<TableEntity>?> ContinuationRowsAsync(TableClient table, TableEntity head, int rows, CancellationToken cancellationToken)
    {
        var version = head.GetString(GrainStateRows.VersionProperty);
        var found = new TableEntity?[rows - 1];
        await foreach (var row in table.QueryAsync<TableEntity>(GrainStateRows.ContinuationFilter(head.PartitionKey, head.RowKey), cancellationToken: cancellationToken))
        {
            var suffix = row.RowKey.AsSpan(head.RowKey.Length + 1);
            if (int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= 1 && index < rows)
            {
                found[index - 1] = row;
            }
        }

        var ordered = new List<TableEntity>(found.Length);
        foreach (var row in found)
        {
            if (row is null || row.GetString(GrainStateRows.VersionProperty) != version)
            {
                return null;
            }

            ordered.Add(row);
        }

        return ordered;
    }

    private async Task<IReadOnlyList<Response>> SubmitAsync(
        TableClient table, List<TableTransactionAction> actions, string operation, string stateName, GrainId grainId, string? etag, CancellationToken cancellationToken)
    {
        try
        {
            return (await table.SubmitTransactionAsync(actions, cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            // 412: the head row changed since the caller's ETag; 409: a row exists that the caller thought new;
            // 404: a row the caller's ETag promised is gone. In each case the caller's view of the state is stale.
            LogConflict(_logger, _name, operation, stateName, grainId);
            throw new InconsistentStateException(
                $"Azure Table grain storage '{_name}': {operation} of state '{stateName}' of {grainId} with ETag {etag ?? "(none)"} " +
                $"conflicts with the stored state ({e.Status} {e.ErrorCode})",
                "(unknown)",
                etag ?? "(none)",
                e);
        }
    }

    /// <summary>The row count and head ETag a caller's ETag names; (0, null) when it names none.</summary>
    private int PreviousRows(string? etag, string stateName, GrainId grainId, out ETag? headETag)
    {
        headETag = null;
        if (string.IsNullOrEmpty(etag))
        {
            return 0;
        }

        if (!GrainStateRows.TryParseETag(etag, out var rows, out var head))
        {
            throw new InconsistentStateException($"Azure Table grain storage '{_name}': ETag '{etag}' of state '{stateName}' of {grainId} was not issued by this provider", "(unknown)", etag);
        }

        headETag = new ETag(head);
        return rows;
    }

    private (string PartitionKey, string RowKey) KeysOf(string stateName, GrainId grainId)
    {
        var keys = GrainStateRows.Keys(_serviceId, grainId.Type.ToString()!, grainId.Key.ToString()!, stateName);
        if (keys.PartitionKey.Length > GrainStateRows.MaxKeyLength || keys.RowKey.Length > GrainStateRows.MaxKeyLength - GrainStateRows.ContinuationSuffixLength)
        {
            throw new InvalidOperationException(
                $"{Describe(stateName, grainId)}: the table keys ({keys.PartitionKey.Length} and {keys.RowKey.Length} characters, escaped) exceed the " +
                $"{GrainStateRows.MaxKeyLength} characters a partition or row key may hold (less {GrainStateRows.ContinuationSuffixLength} for continuation rows)");
        }

        return keys;
    }

    private string Describe(string stateName, GrainId grainId) =>
        $"Azure Table grain storage '{_name}' (table {_options.TableName}), state '{stateName}' of {grainId}";

    /// <summary>The table, created on first use (at silo start, through the lifecycle); a failed creation is tried again next time.</summary>
    private Task<TableClient> TableAsync()
    {
        lock (_gate)
        {
            if (_table is null || _table.IsFaulted || _table.IsCanceled)
            {
                _table = CreateTableAsync();
            }

            return _table;
        }
    }

    private async Task<TableClient> CreateTableAsync()
    {
        var table = new TableServiceClient(_options.ConnectionString).GetTableClient(_options.TableName);
        try
        {
            await table.CreateIfNotExistsAsync();
        }
        catch (RequestFailedException e)
        {
            LogTableFailed(_logger, e, _name, _options.TableName);
            throw new InvalidOperationException(
                $"Azure Table grain storage '{_name}': could not create or open table '{_options.TableName}' at {table.Uri.GetLeftPart(UriPartial.Authority)} ({e.Status} {e.ErrorCode}): {e.Message}", e);
        }

        LogTableReady(_logger, _name, _options.TableName, table.Uri.GetLeftPart(UriPartial.Authority));
        return table;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azure Table grain storage {Name}: table {Table} at {Endpoint} is ready")]
    private static partial void LogTableReady(ILogger logger, string name, string table, string endpoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "Azure Table grain storage {Name}: could not create or open table {Table}")]
    private static partial void LogTableFailed(ILogger logger, Exception exception, string name, string table);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Azure Table grain storage {Name}: wrote {StateName} of {GrainId}, {Bytes} bytes in {Rows} rows (compressed: {Compressed})")]
    private static partial void LogWritten(ILogger logger, string name, string stateName, GrainId grainId, int bytes, int rows, bool compressed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Azure Table grain storage {Name}: {Operation} of {StateName} of {GrainId} met a newer stored version")]
    private static partial void LogConflict(ILogger logger, string name, string operation, string stateName, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Azure Table grain storage {Name}: {StateName} of {GrainId} changed while read (attempt {Attempt}); reading again")]
    private static partial void LogTornRead(ILogger logger, string name, string stateName, GrainId grainId, int attempt);
}
