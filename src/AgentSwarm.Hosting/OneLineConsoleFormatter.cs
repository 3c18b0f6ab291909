using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Hosting;

/// <summary>Options of <see cref="OneLineConsoleFormatter"/>.</summary>
public sealed class OneLineConsoleFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Write an exception's type and stack trace under its entry (--verbose); otherwise only its message's first line (default false).</summary>
    public bool Details { get; set; }
}

/// <summary>
/// One line per log entry: time, level, category, message, and an exception's first line. A CLI user who meets a
/// dead Redis sees what failed, not 56 frames of a client library's advice; --verbose brings the details back.
/// </summary>
public sealed class OneLineConsoleFormatter(IOptionsMonitor<OneLineConsoleFormatterOptions> options) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "agentswarm";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var settings = options.CurrentValue;
        textWriter.Write(DateTime.Now.ToString(settings.TimestampFormat ?? "HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write(": ");
        textWriter.Write(settings.Details ? message : FirstLine(message));
        if (logEntry.Exception is { } exception)
        {
            if (settings.Details)
            {
                textWriter.WriteLine();
                textWriter.Write(exception.ToString());
            }
            else if (!message.Contains(FirstLine(exception.Message), StringComparison.Ordinal))
            {
                textWriter.Write(" (");
                textWriter.Write(FirstLine(exception.Message));
                textWriter.Write(')');
            }
        }

        textWriter.WriteLine();
    }

    /// <summary>A message's first line: libraries put their troubleshooting essays below it.</summary>
    public static string FirstLine(string text)
    {
        var end = text.AsSpan().IndexOfAny('\r', '\n');
        return (end < 0 ? text : text[..end]).Trim();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => level.ToString(),
    };
}
