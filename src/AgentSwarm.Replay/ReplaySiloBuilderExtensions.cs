using AgentSwarm.Engine.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentSwarm.Replay;

public static class ReplaySiloBuilderExtensions
{
    /// <summary>Registers the event log's recorder: runs whose spec asks for a log write one, replays read one.</summary>
    public static ISiloBuilder AddAgentSwarmReplay(this ISiloBuilder builder)
    {
        builder.Services.TryAddSingleton<RunLogRecorder>();
        builder.Services.TryAddSingleton<IRunRecorder>(sp => sp.GetRequiredService<RunLogRecorder>());
        return builder;
    }
}
