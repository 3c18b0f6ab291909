using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;
using MessagePack;

namespace AgentSwarm.Replay;

/// <summary>
/// The stream format. A file starts with an 8-byte header: the magic "ASLOG", a zero byte, and the format version
/// (little-endian u16). Then frames, each a segment of records: stored length (u32), raw length (u32), CRC-32 of
/// the stored bytes (u32), flags (u8: 1 = LZ4 block), then the stored bytes. A segment's raw bytes are MessagePack
/// records one after another. A frame is written whole and flushed, so a crash can only cut the last one short.
/// </summary>
public static class LogFormat
{
    /// <summary>
    /// The version this build writes and the newest it reads. Version 2 starts each partition stream with its run's id
    /// (<see cref="StreamOwnerRecord"/>), a record version-1 readers cannot decode; version-1 logs read as before.
    /// </summary>
    public const ushort Version = 2;

    public const int HeaderLength = 8;

    public const int FrameHeaderLength = 13;

    public const string Manifest = "manifest.aslog";

    public static ReadOnlySpan<byte> Magic => "ASLOG\0"u8;

    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static string PartitionFile(int partition) => $"part-{partition:D5}.aslog";
}

/// <summary>A log that cannot be read: not a log, a version this build does not know, or a corrupt frame. The message says which file and where.</summary>
public sealed class LogFormatException(string message) : Exception(message);

/// <summary>Appends frames to one stream file; creates it with its header, or appends to a whole one.</summary>
public sealed class LogStreamWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly ArrayBufferWriter<byte> _raw = new(1 << 16);

    private LogStreamWriter(FileStream file) => _file = file;

    public string Path => _file.Name;

    public long Length => _file.Length;

    public static LogStreamWriter Open(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        if (file.Length == 0)
        {
            Span<byte> header = stackalloc byte[LogFormat.HeaderLength];
            LogFormat.Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], LogFormat.Version);
            file.Write(header);
            file.Flush();
        }
        else
        {
            // Appending (a resume): the file must be a whole log of this version; a cut-off tail was truncated before.
            LogStreamReader.CheckHeader(file, path);
            file.Seek(0, SeekOrigin.End);
        }

        return new LogStreamWriter(file);
    }

    /// <summary>Encodes, compresses, checksums and writes one segment of records, then flushes it to the OS.</summary>
    public void WriteFrame(IReadOnlyList<LogRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        _raw.ResetWrittenCount();
        foreach (var record in records)
        {
            MessagePackSerializer.Serialize(_raw, record, LogFormat.Options);
        }

        var raw = _raw.WrittenSpan;
        var buffer = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(raw.Length) + LogFormat.FrameHeaderLength);
        try
        {
            var body = buffer.AsSpan(LogFormat.FrameHeaderLength);
            var compressed = LZ4Codec.Encode(raw, body, LZ4Level.L00_FAST);
            byte flags = 1;
            if (compressed <= 0 || compressed >= raw.Length)
            {
                raw.CopyTo(body);
                compressed = raw.Length;
                flags = 0;
            }

            var stored = body[..compressed];
            var header = buffer.AsSpan(0, LogFormat.FrameHeaderLength);
            BinaryPrimitives.WriteInt32LittleEndian(header, compressed);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], raw.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32.HashToUInt32(stored));
            header[12] = flags;
            _file.Write(buffer, 0, LogFormat.FrameHeaderLength + compressed);
            _file.Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Where a stream's whole frames end, and whether a cut-off frame follows them (a crash mid-write).</summary>
/// <param name="WholeLength">Bytes up to the end of the last whole frame.</param>
/// <param name="FileLength">Bytes in the file.</param>
public sealed record StreamEnd(string Path, long WholeLength, long FileLength, int Frames, int LastRound)
{
    public bool Truncated => FileLength > WholeLength;

    public override string ToString() => Truncated
        ? $"{System.IO.Path.GetFileName(Path)}: cut off at byte {FileLength}; {Frames} whole frames end at byte {WholeLength} (last whole record: round {LastRound})"
        : $"{System.IO.Path.GetFileName(Path)}: {Frames} frames, {FileLength} bytes, last round {LastRound}";
}

/// <summary>Reads one stream file frame by frame, checking its header, every checksum, and every record.</summary>
public static class LogStreamReader
{
    /// <summary>
    /// The offset of the file's last whole frame, found by stepping over frame headers without reading what they hold
    /// (cheap on a file of gigabytes), or null when it has none. A frame cut short at the end is not whole.
    /// </summary>
    public static long? LastFrame(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096);
        CheckHeader(file, path);
        long offset = LogFormat.HeaderLength;
        long? last = null;
        Span<byte> header = stackalloc byte[LogFormat.FrameHeaderLength];
        while (true)
        {
            file.Seek(offset, SeekOrigin.Begin);
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return last;
            }

            var storedLength = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (storedLength < 0 || offset + LogFormat.FrameHeaderLength + storedLength > file.Length)
            {
                return last;
            }

            last = offset;
            offset += LogFormat.FrameHeaderLength + storedLength;
        }
    }

    public static void CheckHeader(Stream file, string path)
    {
        Span<byte> header = stackalloc byte[LogFormat.HeaderLength];
        file.Seek(0, SeekOrigin.Begin);
        var read = file.ReadAtLeast(header, LogFormat.HeaderLength, throwOnEndOfStream: false);
        if (read == 0)
        {
            throw new LogFormatException($"{path}: the file is empty: not an AgentSwarm log");
        }

        if (read < LogFormat.HeaderLength || !header[..6].SequenceEqual(LogFormat.Magic))
        {
            throw new LogFormatException($"{path}: not an AgentSwarm log (it does not start with the ASLOG header)");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        if (version > LogFormat.Version)
        {
            throw new LogFormatException($"{path}: log format version {version} is newer than this agentswarm reads (version {LogFormat.Version}); use a newer agentswarm");
        }

        if (version == 0)
        {
            throw new LogFormatException($"{path}: log format version 0 does not exist: the header is corrupt");
        }
    }

    /// <summary>
    /// Every record of the file, frame by frame. A frame cut short at the end of the file (a crash) ends the
    /// enumeration quietly; <paramref name="end"/> then says where the whole frames end. A checksum that does not
    /// match, or a record that does not decode, throws with the file, the byte offset and the last round read.
    /// </summary>
    /// <param name="from">Where to start: a frame's offset (<see cref="LastFrame"/>), by default the first frame's.</param>
    public static IEnumerable<LogRecord> Records(string path, StreamEndBox? end = null, long from = LogFormat.HeaderLength)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        CheckHeader(file, path);
        file.Seek(from, SeekOrigin.Begin);
        long offset = from;
        var frames = 0;
        var lastRound = 0;
        var header = new byte[LogFormat.FrameHeaderLength];
        byte[] stored = [];
        byte[] raw = [];
        while (true)
        {
            var got = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (got < header.Length)
            {
                break;
            }

            var storedLength = BinaryPrimitives.ReadInt32LittleEndian(header);
            var rawLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
            var flags = header[12];
            if (storedLength < 0 || rawLength < 0 || flags > 1 || (flags == 0 && storedLength != rawLength) || rawLength > 1 << 30)
            {
                throw new LogFormatException($"{path}: corrupt frame header at byte {offset} (after round {lastRound})");
            }

            if (stored.Length < storedLength)
            {
                stored = new byte[Math.Max(storedLength, stored.Length * 2)];
            }

            if (file.ReadAtLeast(stored.AsSpan(0, storedLength), storedLength, throwOnEndOfStream: false) < storedLength)
            {
                break;
            }

            if (Crc32.HashToUInt32(stored.AsSpan(0, storedLength)) != crc)
            {
                throw new LogFormatException($"{path}: frame at byte {offset} fails its checksum (after round {lastRound}): the log was altered or damaged");
            }

            ReadOnlyMemory<byte> body;
            if (flags == 1)
            {
                if (raw.Length < rawLength)
                {
                    raw = new byte[Math.Max(rawLength, raw.Length * 2)];
                }

                if (LZ4Codec.Decode(stored.AsSpan(0, storedLength), raw.AsSpan(0, rawLength)) != rawLength)
                {
                    throw new LogFormatException($"{path}: frame at byte {offset} does not decompress (after round {lastRound})");
                }

                body = raw.AsMemory(0, rawLength);
            }
            else
            {
                body = stored.AsMemory(0, storedLength);
            }

            var records = new List<LogRecord>();
            while (body.Length > 0)
            {
                LogRecord record;
                try
                {
                    record = MessagePackSerializer.Deserialize<LogRecord>(body, LogFormat.Options, out var used);
                    body = body[used..];
                }
                catch (MessagePackSerializationException ex)
                {
                    throw new LogFormatException($"{path}: frame at byte {offset} holds a record that does not decode (after round {lastRound}): {ex.InnerException?.Message ?? ex.Message}");
                }

                records.Add(record);
            }

            offset += LogFormat.FrameHeaderLength + storedLength;
            frames++;
            foreach (var record in records)
            {
                lastRound = Math.Max(lastRound, record.RecordRound);
                yield return record;
            }
        }

        if (end is not null)
        {
            end.Value = new StreamEnd(path, offset, file.Length, frames, lastRound);
        }
    }
}

/// <summary>Receives where a stream's whole frames end once its enumeration finishes.</summary>
public sealed class StreamEndBox
{
    public StreamEnd? Value { get; set; }
}
