namespace AgentSwarm.Testing;

/// <summary>Hands over what follows a line's prefix (the console's link, say) once it is printed.</summary>
public sealed class LinkWriter(string prefix = "AgentSwarm console: ") : StringWriter
{
    public TaskCompletionSource<string> Link { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value?.StartsWith(prefix, StringComparison.Ordinal) == true)
        {
            Link.TrySetResult(value[prefix.Length..]);
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }
}
