using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace AgentSwarm.Scenarios.Files;

/// <summary>
/// A mapping in a scenario file, read field by field with typed getters that report file, line and field on
/// every mistake. Only plain scalars, sequences and mappings are accepted: tags are refused, so nothing in a
/// file can name a type or run code.
/// </summary>
public sealed class YamlSection
{
    /// <param name="pathRoots">Folders a path in the file must stay inside (the console's), or null for anywhere.</param>
    public YamlSection(string file, string path, YamlMappingNode node, IReadOnlyList<string>? pathRoots = null)
    {
        File = file;
        PathRoots = pathRoots;
        Path = path;
        Node = node;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                throw Error(key, Path, "keys must be plain names");
            }

            RefuseTags(key, FieldPath(name));
            RefuseTags(value, FieldPath(name));
            if (!seen.Add(name))
            {
                throw Error(key, FieldPath(name), "appears twice");
            }
        }
    }

    public string File { get; }

    public string Path { get; }

    public YamlMappingNode Node { get; }

    public bool Has(string key) => Find(key) is not null;

    public string FieldPath(string key) => string.IsNullOrEmpty(Path) ? key : $"{Path}.{key}";

    public ScenarioFileException Error(YamlNode node, string field, string problem) =>
        new(File, (int)node.Start.Line, (int)node.Start.Column, field, problem);

    public ScenarioFileException Error(string key, string problem)
    {
        var node = Find(key);
        return node is null
            ? new ScenarioFileException(File, (int)Node.Start.Line, (int)Node.Start.Column, FieldPath(key), problem)
            : Error(node, FieldPath(key), problem);
    }

    public YamlSection? Section(string key)
    {
        var node = Find(key);
        return node switch
        {
            null => null,
            YamlMappingNode mapping => new YamlSection(File, FieldPath(key), mapping, PathRoots),
            _ => throw Error(node, FieldPath(key), "expected a mapping of fields"),
        };
    }

    public YamlNode? Raw(string key) => Find(key);

    /// <summary>Folders a path in the file must stay inside, or null for anywhere.</summary>
    public IReadOnlyList<string>? PathRoots { get; }

    /// <summary>
    /// The path field <paramref name="key"/> names, taken relative to the scenario file's folder unless absolute; an
    /// error at the field when it leaves every one of <see cref="PathRoots"/> (a file sent to the console cannot read
    /// the server's other files).
    /// </summary>
    public string PathRelativeToFile(string key, string path)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(path)
            ? path
            : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(File)) ?? ".", path));
        if (PathRoots is { } roots && !roots.Any(root => FolderPath.Contains(root, full)))
        {
            throw Error(key, $"'{path}' is outside the folders this server reads scenarios from");
        }

        return full;
    }

    public string? String(string key, string? fallback = null) =>
        Find(key) is { } node ? Scalar(node, key) : fallback;

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        var text = Scalar(node, key).Replace("_", string.Empty, StringComparison.Ordinal);
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(node, FieldPath(key), $"expected a whole number, got '{text}'");
        }

        if (value < min || value > max)
        {
            throw Error(node, FieldPath(key), $"must be in {min}..{max} (got {value})");
        }

        return (int)value;
    }

    public ulong UInt64(string key, ulong fallback)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        var text = Scalar(node, key).Replace("_", string.Empty, StringComparison.Ordinal);
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(node, FieldPath(key), $"expected a non-negative whole number, got '{text}'");
    }

    public double Double(string key, double fallback)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        var text = Scalar(node, key);
        return TryNumber(text, out var value)
            ? value
            : throw Error(node, FieldPath(key), $"expected a number, got '{text}'");
    }

    /// <summary>A number written as a decimal or as a fraction "a/b".</summary>
    public (double Value, string Text) Fraction(string key, double fallback, string fallbackText)
    {
        if (Find(key) is not { } node)
        {
            return (fallback, fallbackText);
        }

        var text = Scalar(node, key).Trim();
        var slash = text.IndexOf('/');
        if (slash < 0)
        {
            return TryNumber(text, out var plain)
                ? (plain, text)
                : throw Error(node, FieldPath(key), $"expected a number or a fraction like 2/3, got '{text}'");
        }

        if (TryNumber(text[..slash], out var numerator) && TryNumber(text[(slash + 1)..], out var denominator))
        {
            return denominator == 0
                ? throw Error(node, FieldPath(key), $"the denominator of '{text}' is zero")
                : (numerator / denominator, text);
        }

        throw Error(node, FieldPath(key), $"expected a number or a fraction like 2/3, got '{text}'");
    }

    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        var text = Scalar(node, key);
        return DurationText.TryParse(text, out var value)
            ? value
            : throw Error(node, FieldPath(key), $"expected a duration like 1s, 250ms or 00:00:01.5, got '{text}'");
    }

    public double[] Doubles(string key, double[] fallback)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw Error(node, FieldPath(key), "expected a list of numbers, like [0.2, 0.4, 0.4]");
        }

        var values = new double[sequence.Children.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var item = sequence.Children[i];
            var text = item is YamlScalarNode { Value: { } v } ? v : null;
            if (text is null || !TryNumber(text, out values[i]))
            {
                throw Error(item, $"{FieldPath(key)}[{i}]", $"expected a number, got '{text ?? "a nested value"}'");
            }
        }

        return values;
    }

    /// <summary>A list of strings; a single string is a list of one.</summary>
    public string[] Strings(string key, string[] fallback)
    {
        switch (Find(key))
        {
            case null:
                return fallback;
            case YamlScalarNode { Value: { } single }:
                return [single];
            case YamlSequenceNode sequence:
                var values = new string[sequence.Children.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = sequence.Children[i] is YamlScalarNode { Value: { } v }
                        ? v
                        : throw Error(sequence.Children[i], $"{FieldPath(key)}[{i}]", "expected a string");
                }

                return values;
            case var node:
                throw Error(node, FieldPath(key), "expected a string or a list of strings");
        }
    }

    public bool Bool(string key, bool fallback)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        var text = Scalar(node, key).Trim().ToLowerInvariant();
        return text switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error(node, FieldPath(key), $"expected true or false, got '{text}'"),
        };
    }

    /// <summary>One of the given names (case-insensitive).</summary>
    public T Choice<T>(string key, T fallback, IReadOnlyDictionary<string, T> names)
    {
        if (Find(key) is not { } node)
        {
            return fallback;
        }

        var text = Scalar(node, key);
        return names.TryGetValue(text.Trim().ToLowerInvariant(), out var value)
            ? value
            : throw Error(node, FieldPath(key), $"unknown value '{text}' (expected one of: {string.Join(", ", names.Keys)})");
    }

    /// <summary>Refuses any field that no reader asked for.</summary>
    public void RejectUnknown(IEnumerable<string> known)
    {
        var allowed = new HashSet<string>(known, StringComparer.Ordinal);
        foreach (var (key, _) in Node.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (!allowed.Contains(name))
            {
                throw Error(key, FieldPath(name), $"unknown field (expected one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))})");
            }
        }
    }

    private YamlNode? Find(string key)
    {
        foreach (var (k, v) in Node.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key)
            {
                return v;
            }
        }

        return null;
    }

    private string Scalar(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } text } && text.Length > 0
            ? text
            : throw Error(node, FieldPath(key), node is YamlScalarNode ? "is empty" : "expected a single value, not a list or mapping");

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim().Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    private void RefuseTags(YamlNode node, string field)
    {
        if (!node.Tag.IsEmpty && node.Tag.Value is not ("tag:yaml.org,2002:str" or "tag:yaml.org,2002:int" or "tag:yaml.org,2002:float" or "tag:yaml.org,2002:bool" or "tag:yaml.org,2002:map" or "tag:yaml.org,2002:seq" or "!"))
        {
            throw Error(node, field, $"tags like '{node.Tag.Value}' are not allowed: scenario files are plain data");
        }

        switch (node)
        {
            case YamlSequenceNode sequence:
                foreach (var child in sequence.Children)
                {
                    RefuseTags(child, field);
                }

                break;
            case YamlMappingNode mapping:
                foreach (var (k, v) in mapping.Children)
                {
                    RefuseTags(k, field);
                    RefuseTags(v, field);
                }

                break;
        }
    }
}

/// <summary>Durations as people write them: 1s, 250ms, 2m, 1.5s, or a TimeSpan (00:00:01).</summary>
public static class DurationText
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        value = default;
        foreach (var (suffix, unit) in new[] { ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0), ("h", 3_600_000.0) })
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && amount >= 0 && double.IsFinite(amount))
            {
                value = TimeSpan.FromMilliseconds(amount * unit);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }
}
