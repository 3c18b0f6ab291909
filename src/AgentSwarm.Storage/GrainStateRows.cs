using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using K4os.Compression.LZ4;

namespace AgentSwarm.Storage;

/// <summary>
/// How one grain state becomes table rows, and back. Azure Table storage caps a property at 64 KiB, an entity at
/// 1 MiB and a transaction (all rows of one partition, written atomically) at 100 entities and a 4 MiB request, in
/// which binary travels as base64. So the stored bytes (serialized, LZ4-compressed when that is smaller) are cut into
/// 64 KiB binary properties, 11 to a row, and the rows are the head row <c>&lt;key&gt;</c> followed by
/// <c>&lt;key&gt;|1</c>, <c>&lt;key&gt;|2</c>, ... (<c>|</c>, because Azure forbids <c>#</c> in keys). The head row
/// carries the layout, and every row carries the write's version so a read never stitches two writes together.
/// </summary>
internal static class GrainStateRows
{
    /// <summary>Binary bytes per property: the service's 64 KiB limit.</summary>
    public const int PropertyBytes = 64 * 1024;

    /// <summary>
    /// Data properties per row. Azure counts a binary property's raw bytes against the 1 MiB entity limit, but Azurite
    /// counts the entity's JSON, where binary is base64 (4/3 larger): 11 x 64 KiB is 704 KiB raw, 939 KiB as base64,
    /// which both accept with room for the keys and the layout.
    /// </summary>
    public const int PropertiesPerRow = 11;

    public const int RowBytes = PropertyBytes * PropertiesPerRow;

    /// <summary>
    /// The most stored bytes one transaction carries: base64 makes 3 MiB into the 4 MiB a transaction's request may
    /// hold, less 64 KiB for the request's headers, keys and property names.
    /// </summary>
    public const int MaxStoredBytes = (3 * 1024 * 1024) - (64 * 1024);

    /// <summary>Characters a partition or row key may hold: 1 KiB of UTF-16.</summary>
    public const int MaxKeyLength = 512;

    /// <summary>Room a head row's key leaves for the "|N" of its continuation rows.</summary>
    public const int ContinuationSuffixLength = 4;

    /// <summary>Below this many bytes compression cannot pay for itself.</summary>
    private const int CompressAbove = 256;

    public const string RowsProperty = "Rows";
    public const string VersionProperty = "Version";
    private const string FormatProperty = "Format";
    private const string CodecProperty = "Codec";
    private const string StoredBytesProperty = "StoredBytes";
    private const string RawBytesProperty = "RawBytes";
    private const int Format = 1;
    private const string Lz4 = "lz4";
    private const string None = "none";
    private const char Separator = '|';

    /// <summary>The character after <see cref="Separator"/>: row keys from "&lt;key&gt;|" up to it are the head's continuation rows.</summary>
    private const char AfterSeparator = '}';

    private static readonly string[] DataProperties = [.. Enumerable.Range(0, PropertiesPerRow).Select(i => "D" + i.ToString("D2", CultureInfo.InvariantCulture))];

    /// <summary>Partition: the service and grain type. Row: the grain's key and the state's name.</summary>
    public static (string PartitionKey, string RowKey) Keys(string serviceId, string grainType, string grainKey, string stateName) =>
        (Escape(serviceId) + Separator + Escape(grainType), Escape(grainKey) + Separator + Escape(stateName));

    public static string ContinuationRowKey(string rowKey, int index) => rowKey + Separator + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>An OData filter for the continuation rows of a head row (a range scan inside one partition).</summary>
    public static string ContinuationFilter(string partitionKey, string rowKey) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey gt {rowKey + Separator} and RowKey lt {rowKey + AfterSeparator}");

    /// <summary>The stored form of serialized state: LZ4 when that is smaller, the bytes as they are otherwise.</summary>
    public static (ReadOnlyMemory<byte> Stored, bool Compressed) Encode(ReadOnlyMemory<byte> raw, bool compress)
    {
        if (!compress || raw.Length <= CompressAbove)
        {
            return (raw, false);
        }

        var target = new byte[LZ4Codec.MaximumOutputSize(raw.Length)];
        var written = LZ4Codec.Encode(raw.Span, target, LZ4Level.L00_FAST);
        return written > 0 && written < raw.Length ? (target.AsMemory(0, written), true) : (raw, false);
    }

    /// <summary>The rows that hold one write: the head row first.</summary>
    public static List<TableEntity> Split(string partitionKey, string rowKey, ReadOnlyMemory<byte> stored, bool compressed, int rawBytes, string version)
    {
        var rowCount = Math.Max(1, (stored.Length + RowBytes - 1) / RowBytes);
        var rows = new List<TableEntity>(rowCount);
        for (var row = 0; row < rowCount; row++)
        {
            var entity = new TableEntity(partitionKey, row == 0 ? rowKey : ContinuationRowKey(rowKey, row))
            {
                [VersionProperty] = version,
            };
            if (row == 0)
            {
                entity[FormatProperty] = Format;
                entity[RowsProperty] = rowCount;
                entity[CodecProperty] = compressed ? Lz4 : None;
                entity[StoredBytesProperty] = stored.Length;
                entity[RawBytesProperty] = rawBytes;
            }

            var rowStart = row * RowBytes;
            for (var property = 0; property < PropertiesPerRow; property++)
            {
                var start = rowStart + (property * PropertyBytes);
                if (start >= stored.Length)
                {
                    break;
                }

                entity[DataProperties[property]] = stored.Slice(start, Math.Min(PropertyBytes, stored.Length - start)).ToArray();
            }

            rows.Add(entity);
        }

        return rows;
    }

    public static int RowCount(TableEntity head) => head.GetInt32(RowsProperty) ?? 1;

    /// <summary>The serialized state held by a head row and its continuation rows (in order), checked against the head's layout.</summary>
    public static byte[] Join(TableEntity head, IReadOnlyList<TableEntity> continuation, string describe)
    {
        var format = head.GetInt32(FormatProperty);
        if (format != Format)
        {
            throw new InvalidOperationException($"{describe}: the head row has format {format?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; this provider reads format {Format}");
        }

        var storedBytes = head.GetInt32(StoredBytesProperty) ?? -1;
        var rawBytes = head.GetInt32(RawBytesProperty) ?? -1;
        var stored = new byte[Math.Max(0, storedBytes)];
        var offset = 0;
        foreach (var row in continuation.Prepend(head))
        {
            foreach (var name in DataProperties)
            {
                var part = row.GetBinary(name);
                if (part is null)
                {
                    break;
                }

                if (offset + part.Length > stored.Length)
                {
                    throw new InvalidOperationException($"{describe}: the rows hold more than the {storedBytes} bytes the head row names");
                }

                part.CopyTo(stored, offset);
                offset += part.Length;
            }
        }

        if (offset != storedBytes)
        {
            throw new InvalidOperationException($"{describe}: the rows hold {offset} bytes, the head row names {storedBytes}");
        }

        var codec = head.GetString(CodecProperty);
        if (codec == None)
        {
            return stored;
        }

        if (codec != Lz4)
        {
            throw new InvalidOperationException($"{describe}: unknown codec '{codec}'");
        }

        var raw = new byte[rawBytes];
        var decoded = LZ4Codec.Decode(stored, raw);
        if (decoded != rawBytes)
        {
            throw new InvalidOperationException($"{describe}: LZ4 gave {decoded} bytes, the head row names {rawBytes}");
        }

        return raw;
    }

    /// <summary>
    /// The grain sees one opaque ETag: the head row's ETag with the row count in front, so a write knows which
    /// continuation rows the version it replaces had (to delete those it no longer needs) without reading them first.
    /// </summary>
    public static string FormatETag(int rows, string headETag) => rows.ToString(CultureInfo.InvariantCulture) + Separator + headETag;

    public static bool TryParseETag(string etag, out int rows, out string headETag)
    {
        var at = etag.IndexOf(Separator, StringComparison.Ordinal);
        headETag = at < 0 ? string.Empty : etag[(at + 1)..];
        rows = 0;
        return at > 0 && int.TryParse(etag.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out rows) && rows >= 1 && headETag.Length > 0;
    }

    /// <summary>
    /// Row and partition keys may not hold / \ # ? or control characters; the separator and the escape character are
    /// escaped too, so distinct (service, type, key, state) tuples never share a key.
    /// </summary>
    public static string Escape(string value)
    {
        StringBuilder? escaped = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is '/' or '\\' or '#' or '?' or '%' or Separator || char.IsControl(c))
            {
                escaped ??= new StringBuilder(value, 0, i, value.Length + 8);
                escaped.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped?.Append(c);
            }
        }

        return escaped?.ToString() ?? value;
    }
}
