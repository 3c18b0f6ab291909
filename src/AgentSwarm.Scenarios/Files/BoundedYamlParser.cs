using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AgentSwarm.Scenarios.Files;

/// <summary>
/// A YAML parser that bounds the work of reading a scenario file before anything walks its nodes: nesting depth,
/// events, aliases, and the nodes the file would have with every alias expanded (a "billion laughs" file of a few
/// hundred bytes expands to billions). Whatever a file holds, reading it is refused or done in milliseconds.
/// </summary>
/// <remarks>The token is checked as events are read: a request whose client left stops reading its file.</remarks>
internal sealed class BoundedYamlParser(IParser inner, string file, CancellationToken cancellationToken = default) : IParser
{
    /// <summary>Deepest nesting of sequences and mappings a scenario file may have.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes a file may have with its aliases expanded (a 100,000-agent edge list fits).</summary>
    public const long MaxExpandedNodes = 4_000_000;

    /// <summary>Most aliases (*name) a file may use.</summary>
    public const int MaxAliases = 10_000;

    private readonly Stack<long> _open = new();
    private readonly Stack<string?> _anchors = new();
    private readonly Dictionary<string, long> _anchorSizes = new(StringComparer.Ordinal);
    private long _expanded;
    private int _aliases;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!inner.MoveNext())
        {
            return false;
        }

        switch (inner.Current)
        {
            case SequenceStart start:
                Open(start, start.Anchor);
                break;
            case MappingStart start:
                Open(start, start.Anchor);
                break;
            case SequenceEnd or MappingEnd:
                var size = _open.Pop();
                var anchor = _anchors.Pop();
                Close(size, anchor);
                break;
            case Scalar scalar:
                Count(scalar, 1);
                Close(1, scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value);
                break;
            case AnchorAlias alias:
                if (_anchors.Contains(alias.Value.Value))
                {
                    // An alias inside the node its anchor names: a cycle, endless for anything that walks it.
                    throw Refused(alias, $"refers to '&{alias.Value.Value}' from inside it (*{alias.Value.Value} repeats the node that holds it)");
                }

                if (++_aliases > MaxAliases)
                {
                    throw Refused(alias, $"uses more than {MaxAliases:N0} aliases (*name)");
                }

                Count(alias, _anchorSizes.GetValueOrDefault(alias.Value.Value, 1));
                Close(_anchorSizes.GetValueOrDefault(alias.Value.Value, 1), null);
                break;
        }

        return true;
    }

    private void Open(ParsingEvent start, AnchorName anchor)
    {
        if (_open.Count >= MaxDepth)
        {
            throw Refused(start, $"nests deeper than {MaxDepth} levels");
        }

        Count(start, 1);
        _open.Push(1);
        _anchors.Push(anchor.IsEmpty ? null : anchor.Value);
    }

    /// <summary>A finished node of <paramref name="size"/> expanded nodes: it counts toward its parent, and its anchor remembers it.</summary>
    private void Close(long size, string? anchor)
    {
        if (anchor is not null)
        {
            _anchorSizes[anchor] = size;
        }

        if (_open.Count > 0)
        {
            // The parent's own node was counted when it opened; its children add to its size.
            _open.Push(_open.Pop() + size);
        }
    }

    private void Count(ParsingEvent at, long nodes)
    {
        _expanded += nodes;
        if (_expanded > MaxExpandedNodes)
        {
            throw Refused(at, $"expands to more than {MaxExpandedNodes:N0} nodes (aliases repeat what their anchors hold; a scenario file has far fewer)");
        }
    }

    private ScenarioFileException Refused(ParsingEvent at, string problem) =>
        new(file, (int)at.Start.Line, (int)at.Start.Column, string.Empty, $"too large to read: the file {problem}");
}
