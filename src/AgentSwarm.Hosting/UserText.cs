using System.Text.RegularExpressions;

namespace AgentSwarm.Hosting;

/// <summary>
/// Turns a framework's message (System.CommandLine's, the configuration binder's, System.Text.Json's) into a user's
/// words: .NET type names become what the value should be, and the binder's note on its own switch becomes "unknown setting".
/// </summary>
public static partial class UserText
{
    private static readonly Dictionary<string, string> Kinds = new(StringComparer.Ordinal)
    {
        ["Int16"] = "a whole number",
        ["Int32"] = "a whole number",
        ["Int64"] = "a whole number",
        ["UInt16"] = "a whole number, 0 or more",
        ["UInt32"] = "a whole number, 0 or more",
        ["UInt64"] = "a whole number, 0 or more",
        ["Double"] = "a number",
        ["Single"] = "a number",
        ["Decimal"] = "a number",
        ["Boolean"] = "true or false",
        ["String"] = "text",
        ["TimeSpan"] = "a duration",
        ["DateTime"] = "a date and time",
        ["Uri"] = "an address",
        ["DirectoryInfo"] = "a folder",
        ["FileInfo"] = "a file",
    };

    public static string Plain(string message)
    {
        // The binder's "'ErrorOnUnknownConfiguration' was set on the provided BinderOptions, but the following
        // properties were not found on the instance of T: 'X'" says, in a user's words, that X is not a setting.
        message = UnknownSettings().Replace(message, "unknown setting(s) ${keys}");
        message = Nullable().Replace(message, "$1");
        message = TypeName().Replace(message, match =>
        {
            var name = match.Groups["name"].Value;
            if (Kinds.TryGetValue(name, out var kind))
            {
                return kind;
            }

            // One of ours (AgentSwarm.Web.LaunchRequest): its words, "launch request".
            return match.Value.StartsWith("AgentSwarm.", StringComparison.Ordinal) ? Words().Replace(name, " $1").Trim().ToLowerInvariant() : match.Value;
        });
        return ExpectedType().Replace(message, "as $1").Trim();
    }

    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    [GeneratedRegex(@"'ErrorOnUnknownConfiguration' was set on the provided BinderOptions, but the following properties were not found on the instance of [\w.`\[\]]+: (?<keys>.+)")]
    private static partial Regex UnknownSettings();

    [GeneratedRegex(@"System\.Nullable`1\[([^\]]+)\]")]
    private static partial Regex Nullable();

    // A type's full name, not a path or file name that happens to contain one ("/data/AgentSwarm.Runs/out").
    [GeneratedRegex(@"(?<![/\\\w.])(?:System|AgentSwarm\.(?:Abstractions|Cli|Engine|Hosting|Inference|Replay|Reports|Scenarios|Storage|Web))(?:\.[A-Za-z_]\w*)*\.(?<name>[A-Za-z_]\w*)(?![/\\\w])")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"(?<!^)([A-Z])")]
    private static partial Regex Words();
}
