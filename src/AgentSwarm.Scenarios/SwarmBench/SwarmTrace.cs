using System.Text.Json;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// A SwarmBench run's trace, <c>swarmbench-trace.json</c>: the initial world cell by cell, then per round every
/// agent's action and message, the world after the round, the score and the group metrics, so another
/// implementation can replay the actions and check every step. Written as a stream (a 100,000-agent run's trace
/// does not have to fit a document in memory). The schema is in README.md.
/// </summary>
public static class SwarmTrace
{
    public const string Format = "agentswarm.swarmbench-trace/1";
    public const string FileName = "swarmbench-trace.json";

    public static async Task WriteAsync(string path, RunSpec spec, IReadOnlyList<RoundResult> rounds, string model, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        Write(file, spec, rounds, model);
        await file.FlushAsync(cancellationToken);
    }

    public static void Write(Stream stream, RunSpec spec, IReadOnlyList<RoundResult> rounds, string model)
    {
        var config = (SwarmBenchConfig)spec.Config;
        var initial = SwarmRules.Create(config.Task, config.Height, config.Width, config.View, spec.Agents, spec.Rounds, spec.Seed);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteString("task", config.Task.Name());
        json.WriteNumber("seed", spec.Seed);
        json.WriteNumber("agents", spec.Agents);
        json.WriteNumber("max_rounds", spec.Rounds);
        json.WriteNumber("height", config.Height);
        json.WriteNumber("width", config.Width);
        json.WriteNumber("view", config.View);
        json.WriteString("policy", spec.Policy.Name);
        json.WriteString("model", model);
        json.WriteNumber("box_mass", SwarmRules.BoxMass);
        if (config.Task == SwarmTask.Flocking)
        {
            json.WriteString("flock_distance", SwarmFlock.Method(spec.Agents));
            json.WriteNumber("flock_side", SwarmFlock.Side(spec.Agents));
        }

        json.WritePropertyName("initial");
        json.WriteStartObject();
        WriteCells(json, initial, 'W', "walls");
        WriteCells(json, initial, 'N', "nest");
        WriteCells(json, initial, 'F', "food");
        json.WriteStartArray("obstacles");
        json.WriteEndArray();
        WriteState(json, initial);
        json.WriteEndObject();

        json.WriteStartArray("rounds");
        foreach (var round in rounds)
        {
            if (round.Stats is not SwarmRoundStats stats)
            {
                continue;
            }

            json.WriteStartObject();
            json.WriteNumber("round", round.Round);
            json.WriteStartArray("actions");
            foreach (var action in stats.Actions)
            {
                json.WriteStringValue(((SwarmMove)action).Name());
            }

            json.WriteEndArray();
            json.WriteStartArray("messages");
            foreach (var message in stats.Messages)
            {
                if (message is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    json.WriteStringValue(message);
                }
            }

            json.WriteEndArray();
            json.WritePropertyName("world");
            json.WriteStartObject();
            WriteState(json, stats.World);
            json.WriteEndObject();
            json.WriteNumber("score", stats.Score);
            json.WriteNumber("events", stats.Events);
            json.WritePropertyName("metrics");
            json.WriteStartObject();
            json.WriteNumber("action_entropy", stats.Metrics.ActionEntropy);
            json.WriteNumber("stillness", stats.Metrics.Stillness);
            json.WriteNumber("polarization", stats.Metrics.Polarization);
            json.WriteNumber("dominant_action", stats.Metrics.DominantAction);
            json.WriteNumber("explored_cells", stats.Metrics.Explored);
            json.WriteNumber("message_length", stats.Metrics.MessageLength);
            json.WriteNumber("question_share", stats.Metrics.QuestionShare);
            json.WriteNumber("messages", stats.Metrics.Messages);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("score", rounds.Count > 0 && rounds[^1].Stats is SwarmRoundStats last ? last.Score : 0);
        json.WriteEndObject();
    }

    private static void WriteCells(Utf8JsonWriter json, SwarmWorld world, char symbol, string name)
    {
        json.WriteStartArray(name);
        for (var r = 0; r < world.Height; r++)
        {
            for (var c = 0; c < world.Width; c++)
            {
                if (world.Cells[(r * world.Width) + c] == (byte)symbol)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(r);
                    json.WriteNumberValue(c);
                    json.WriteEndArray();
                }
            }
        }

        json.WriteEndArray();
    }

    /// <summary>Agents (id = index, row, column), who has left the map, lights or carried food, the prey and the box.</summary>
    private static void WriteState(Utf8JsonWriter json, SwarmWorld world)
    {
        json.WriteStartArray("agents");
        for (var a = 0; a < world.Agents; a++)
        {
            json.WriteStartArray();
            json.WriteNumberValue(world.Rows[a]);
            json.WriteNumberValue(world.Cols[a]);
            json.WriteEndArray();
        }

        json.WriteEndArray();
        if (world.Task == SwarmTask.Transport)
        {
            WriteFlags(json, "escaped", world.Escaped);
        }

        if (world.Task == SwarmTask.Synchronization)
        {
            WriteFlags(json, "lights", world.Flags);
        }

        if (world.Task == SwarmTask.Foraging)
        {
            WriteFlags(json, "carrying", world.Flags);
        }

        if (world.HasPrey)
        {
            json.WritePropertyName("prey");
            json.WriteStartObject();
            json.WriteNumber("row", world.PreyRow);
            json.WriteNumber("col", world.PreyCol);
            json.WriteBoolean("static", world.PreyStatic);
            json.WriteEndObject();
        }

        if (world.HasBox)
        {
            json.WritePropertyName("box");
            json.WriteStartObject();
            json.WriteNumber("row", world.BoxRow);
            json.WriteNumber("col", world.BoxCol);
            json.WriteNumber("height", world.BoxHeight);
            json.WriteNumber("width", world.BoxWidth);
            json.WriteStartArray("cells");
            foreach (var (row, col) in world.BoxCells())
            {
                json.WriteStartArray();
                json.WriteNumberValue(row);
                json.WriteNumberValue(col);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (world.Task == SwarmTask.Flocking)
        {
            json.WriteNumber("flock_distance", world.FlockCurrent);
        }
    }

    private static void WriteFlags(Utf8JsonWriter json, string name, bool[] flags)
    {
        json.WriteStartArray(name);
        foreach (var flag in flags)
        {
            json.WriteBooleanValue(flag);
        }

        json.WriteEndArray();
    }
}
