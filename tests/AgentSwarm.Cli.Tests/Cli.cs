namespace AgentSwarm.Cli.Tests;

/// <summary>Runs the `agentswarm` command in process, as a user would type it, and captures what it prints.</summary>
internal static class Cli
{
    public static async Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
