using System.Text;
using System.Text.RegularExpressions;

namespace AgentSwarm.Scenarios.Files;

/// <summary>
/// Prompt templates of scenario files: text with {placeholders}. Each scenario lists the placeholders every template
/// may use; a template that names another is refused when the file is read, with the field and the allowed names.
/// </summary>
public static partial class PromptTemplate
{
    /// <summary>Fills {name} placeholders; one with no value is left as written.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        (string Name, string Value)[] pairs = [.. values.Select(v => (v.Key, v.Value))];
        return Render(template, pairs);
    }

    /// <summary>
    /// Fills {name} placeholders from a few name/value pairs (looked up in order, no dictionary made); one with no value
    /// is left as written.
    /// </summary>
    public static string Render(string template, ReadOnlySpan<(string Name, string Value)> values)
    {
        var builder = new StringBuilder(template.Length + 64);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                builder.Append(template, i, template.Length - i);
                break;
            }

            var close = template.IndexOf('}', open + 1);
            if (close < 0)
            {
                builder.Append(template, i, template.Length - i);
                break;
            }

            builder.Append(template, i, open - i);
            var name = template.AsSpan(open + 1, close - open - 1);
            var found = false;
            foreach (var (key, value) in values)
            {
                if (name.SequenceEqual(key))
                {
                    builder.Append(value);
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                builder.Append(template, open, close + 1 - open);
            }

            i = close + 1;
        }

        return builder.ToString();
    }

    /// <summary>The placeholders a template names that <paramref name="allowed"/> does not list.</summary>
    public static IEnumerable<string> UnknownPlaceholders(string template, IEnumerable<string> allowed)
    {
        var known = new HashSet<string>(allowed, StringComparer.Ordinal);
        foreach (Match match in Placeholder().Matches(template))
        {
            if (!known.Contains(match.Groups[1].Value))
            {
                yield return match.Groups[1].Value;
            }
        }
    }

    /// <summary>
    /// Reads template <paramref name="key"/> of a prompts: section (or takes <paramref name="fallback"/> when the
    /// section or the key is absent), refusing placeholders outside <paramref name="allowed"/>.
    /// </summary>
    public static string Read(YamlSection? prompts, string key, string fallback, IReadOnlyCollection<string> allowed)
    {
        var text = prompts?.String(key) ?? fallback;
        var unknown = UnknownPlaceholders(text, allowed).FirstOrDefault();
        if (unknown is not null)
        {
            var hint = allowed.Count == 0 ? "this template takes no placeholders" : $"this template may use: {string.Join(", ", allowed.Select(p => "{" + p + "}"))}";
            throw prompts!.Error(key, $"unknown placeholder {{{unknown}}} ({hint})");
        }

        return text;
    }

    [GeneratedRegex(@"\{([a-zA-Z0-9_-]+)\}")]
    private static partial Regex Placeholder();
}
