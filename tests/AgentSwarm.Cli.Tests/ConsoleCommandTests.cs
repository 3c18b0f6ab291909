namespace AgentSwarm.Cli.Tests;

public sealed class ConsoleCommandTests
{
    [Fact]
    public async Task AnAddressThatIsNotOneIsNamedWithExitCode2()
    {
        var (code, _, error) = await Cli.InvokeAsync("console", "--urls", "localhost:5180");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("error: --urls: 'localhost:5180' is not an http:// or https:// address", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABenchModeThatDoesNotExistIsNamedWithExitCode2()
    {
        var (code, _, error) = await Cli.InvokeAsync("bench", "console", "--mode", "sideways");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("error: --mode: unknown mode 'sideways'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheConsoleServesUntilCancelledAndSaysWhereItIs()
    {
        using var stop = new CancellationTokenSource();
        var output = new SignallingWriter("AgentSwarm console: ", stop);
        var error = new StringWriter();
        var scenarios = Path.Combine(Path.GetTempPath(), "agentswarm-console-cli-" + Guid.NewGuid().ToString("N")[..8]);
        var code = await AgentSwarmCommand.InvokeAsync(["console", "--urls", "http://127.0.0.1:0", "--scenarios", scenarios, "--runs", scenarios], output, error, stop.Token);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Matches(@"AgentSwarm console: http://127\.0\.0\.1:\d+/", output.ToString());
        Assert.Contains("AgentSwarm console is stopping", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A writer that cancels the command once it has printed the line that says it is up.</summary>
    private sealed class SignallingWriter(string signal, CancellationTokenSource stop) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.StartsWith(signal, StringComparison.Ordinal) == true)
            {
                stop.CancelAfter(TimeSpan.FromMilliseconds(100));
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
