using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.Files;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>`agentswarm run`: load and validate a scenario, run it on the embedded silo, write the results.</summary>
internal static class RunCommand
{
    public sealed record Options(string ScenarioPath, RunOverrides Overrides, string? OutputDirectory, LogLevel LogLevel);

    public static async Task<int> ExecuteAsync(Options options, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        RunSpec spec;
        try
        {
            spec = ScenarioFile.Load(options.ScenarioPath, options.Overrides);
        }
        catch (ScenarioFileException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        var runId = string.Create(CultureInfo.InvariantCulture, $"{spec.Scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        var directory = options.OutputDirectory ?? Path.Combine(Environment.CurrentDirectory, "runs", runId);
        if (RunOutput.HoldsARun(directory))
        {
            await error.WriteLineAsync($"error: --out: '{directory}' already holds a run's results; choose another folder (or delete it)");
            return ExitCodes.BadInput;
        }

        RunOutput output;
        try
        {
            output = new RunOutput(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: --out: cannot write to '{directory}': {ex.Message}");
            return ExitCodes.BadInput;
        }

        using (output)
        {
            await using var silo = await EmbeddedSilo.StartAsync(options.LogLevel, cancellationToken);
            var view = new RunView(console, spec, console.Profile.Capabilities.Interactive);
            var driver = new SimulationDriver(silo.Client);
            var outcome = await view.ShowAsync(() => driver.RunAsync(
                runId,
                spec,
                view.OnStatus,
                round =>
                {
                    output.AppendRound(round);
                    view.OnRound(round);
                },
                cancellationToken,
                view.OnLlm));
            output.WriteSummary(runId, spec, outcome);
            if (spec.Config is Scenarios.AgentsNet.AgentsNetConfig)
            {
                // The reference's result file: answers, graph, score, and for LLM agents transcripts and fallback counts.
                await AgentsNetResultFile.WriteForRunAsync(silo.Client, runId, spec, outcome, directory, CancellationToken.None);
            }

            view.Finish(outcome, directory);
            return outcome.Final.State switch
            {
                SimulationState.Completed => ExitCodes.Success,
                SimulationState.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.Failed,
            };
        }
    }
}
