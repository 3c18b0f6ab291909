using AgentSwarm.Cli;

return await AgentSwarmCommand.InvokeAsync(args, Console.Out, Console.Error);
