namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// A round's group metrics, as the reference's analysis computes them from its logs, over every agent (one that left the
/// map, or whose LLM answer could not be read, counts as STAY, as the reference logs it).
/// </summary>
/// <param name="ActionEntropy">Shannon entropy (bits) of the moves UP, DOWN, LEFT, RIGHT (STAY and SWITCH left out).</param>
/// <param name="Stillness">Share of actions that are STAY.</param>
/// <param name="Polarization">Length of the mean of the action vectors (UP (0,-1), DOWN (0,1), LEFT (-1,0), RIGHT (1,0), STAY (0,0)) over moves and STAY.</param>
/// <param name="DominantAction">Share of the most common action among moves and STAY.</param>
/// <param name="Explored">Distinct cells any agent has stood on since the start.</param>
/// <param name="MessageLength">Mean length in characters of this round's messages (0 with none).</param>
/// <param name="QuestionShare">Share of this round's messages that hold a question mark.</param>
/// <param name="Messages">Messages sent this round.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.swarmbench-metrics")]
public sealed record SwarmMetrics(
    double ActionEntropy,
    double Stillness,
    double Polarization,
    double DominantAction,
    int Explored,
    double MessageLength,
    double QuestionShare,
    int Messages)
{
    public static SwarmMetrics Compute(ReadOnlySpan<SwarmMove> actions, IReadOnlyList<string?> messages, bool[] acted, int explored)
    {
        Span<long> counts = stackalloc long[6];
        long total = 0;
        for (var a = 0; a < actions.Length; a++)
        {
            if (acted[a])
            {
                counts[(int)actions[a]]++;
                total++;
            }
        }

        long moves = counts[1] + counts[2] + counts[3] + counts[4];
        var entropy = 0.0;
        for (var m = 1; m <= 4; m++)
        {
            if (counts[m] > 0)
            {
                var p = counts[m] / (double)moves;
                entropy -= p * Math.Log2(p);
            }
        }

        var coordinated = moves + counts[0];
        var polarization = 0.0;
        var dominant = 0.0;
        if (coordinated > 0)
        {
            var x = (counts[4] - counts[3]) / (double)coordinated;
            var y = (counts[2] - counts[1]) / (double)coordinated;
            polarization = Math.Sqrt((x * x) + (y * y));
            long most = 0;
            for (var m = 0; m <= 4; m++)
            {
                most = Math.Max(most, counts[m]);
            }

            dominant = most / (double)coordinated;
        }

        long length = 0;
        var sent = 0;
        var questions = 0;
        foreach (var message in messages)
        {
            if (!string.IsNullOrEmpty(message))
            {
                sent++;
                length += message.Length;
                questions += message.Contains('?', StringComparison.Ordinal) ? 1 : 0;
            }
        }

        return new SwarmMetrics(
            entropy,
            total == 0 ? 0 : counts[0] / (double)total,
            polarization,
            dominant,
            explored,
            sent == 0 ? 0 : length / (double)sent,
            sent == 0 ? 0 : questions / (double)sent,
            sent);
    }
}
