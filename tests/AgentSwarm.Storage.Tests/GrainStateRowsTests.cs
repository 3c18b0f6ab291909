namespace AgentSwarm.Storage.Tests;

/// <summary>The row layout on its own: splitting and joining at the edges of properties and rows.</summary>
public sealed class GrainStateRowsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(GrainStateRows.PropertyBytes)]
    [InlineData(GrainStateRows.PropertyBytes + 1)]
    [InlineData(GrainStateRows.RowBytes)]
    [InlineData(GrainStateRows.RowBytes + 1)]
    [InlineData(GrainStateRows.MaxStoredBytes)]
    public void SplitRowsJoinBackToTheSameBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);

        var rows = GrainStateRows.Split("p", "r", bytes, compressed: false, bytes.Length, "v1");
        var joined = GrainStateRows.Join(rows[0], rows.Skip(1).ToList(), "test");

        Assert.Equal(Math.Max(1, (length + GrainStateRows.RowBytes - 1) / GrainStateRows.RowBytes), rows.Count);
        Assert.Equal(rows.Count, GrainStateRows.RowCount(rows[0]));
        Assert.Equal(bytes, joined);
    }

    [Fact]
    public void CompressedBytesJoinBackToTheOriginal()
    {
        var raw = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the same words again and again; ", 10_000)));

        var (stored, compressed) = GrainStateRows.Encode(raw, compress: true);
        var rows = GrainStateRows.Split("p", "r", stored, compressed, raw.Length, "v1");

        Assert.True(compressed);
        Assert.True(stored.Length < raw.Length / 10);
        Assert.Equal(raw, GrainStateRows.Join(rows[0], rows.Skip(1).ToList(), "test"));
    }

    [Fact]
    public void TheETagCarriesTheRowCountAndTheHeadRowsETag()
    {
        var etag = GrainStateRows.FormatETag(3, "W/\"datetime'2026-01-01T00%3A00%3A00Z'\"");

        Assert.True(GrainStateRows.TryParseETag(etag, out var rows, out var head));
        Assert.Equal(3, rows);
        Assert.Equal("W/\"datetime'2026-01-01T00%3A00%3A00Z'\"", head);
        Assert.False(GrainStateRows.TryParseETag("W/\"datetime'x'\"", out _, out _));
    }

    [Fact]
    public void KeysEscapeWhatTableKeysForbidSoDistinctGrainsNeverShareARow()
    {
        var (partition, row) = GrainStateRows.Keys("svc/1", "checkpoint", "a|b/c#d?e%f\\g", "state");
        var (_, other) = GrainStateRows.Keys("svc/1", "checkpoint", "a", "b/c#d?e%f\\g|state");

        Assert.Equal("svc%2F1|checkpoint", partition);
        Assert.Equal("a%7Cb%2Fc%23d%3Fe%25f%5Cg|state", row);
        Assert.NotEqual(row, other);
    }
}
