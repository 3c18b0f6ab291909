namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>The five AgentsNet tasks.</summary>
public enum AgentsNetTask
{
    Consensus,
    LeaderElection,
    Matching,
    Coloring,
    VertexCover,
}

/// <summary>A run's score: the raw score in [0, 1] and whether it solved the instance (score == 1).</summary>
public readonly record struct AgentsNetScore(double Score)
{
    public bool Solved => Score == 1.0;
}

/// <summary>
/// The rules of AgentsNet (../shared/SCENARIOS.md section 2): answer options, the rounds rule, the answer parser and
/// the scoring of each task. Answers are indexed by node; null means the agent gave no (parseable) answer.
/// </summary>
public static class AgentsNetRules
{
    public const string AnswerMarker = "### Final Answer ###";

    public static string Name(this AgentsNetTask task) => task switch
    {
        AgentsNetTask.Consensus => "consensus",
        AgentsNetTask.LeaderElection => "leader_election",
        AgentsNetTask.Matching => "matching",
        AgentsNetTask.Coloring => "coloring",
        AgentsNetTask.VertexCover => "vertex_cover",
        _ => throw new ArgumentOutOfRangeException(nameof(task)),
    };

    /// <summary>
    /// Message-passing rounds: 2 x diameter + 1 for consensus and leader election and for any graph of more than 16
    /// nodes; otherwise the configured rounds (the reference runs use 4 for 4 nodes, 5 for 8, 6 for 16).
    /// </summary>
    public static int Rounds(AgentsNetTask task, AgentsNetGraph graph, int? configured = null)
    {
        if (task is AgentsNetTask.Consensus or AgentsNetTask.LeaderElection || graph.NodeCount > 16)
        {
            return 2 * graph.Diameter + 1;
        }

        return configured ?? graph.NodeCount switch
        {
            <= 4 => 4,
            <= 8 => 5,
            _ => 6,
        };
    }

    /// <summary>The answers a node may give, exactly as they must be written (matching is case-insensitive).</summary>
    public static IReadOnlyList<string> Options(AgentsNetTask task, AgentsNetGraph graph, int node) =>
        Options(task, graph.MaxDegree + 1, [.. graph.Graph.Neighbours(node).ToArray().Select(n => graph.Names[n])]);

    /// <summary>The answers a node with these neighbours may give, when <paramref name="colours"/> colours are allowed.</summary>
    public static IReadOnlyList<string> Options(AgentsNetTask task, int colours, IReadOnlyList<string> neighbourNames) => task switch
    {
        AgentsNetTask.Consensus => ["0", "1"],
        AgentsNetTask.LeaderElection or AgentsNetTask.VertexCover => ["Yes", "No"],
        AgentsNetTask.Matching => [.. neighbourNames, "None"],
        AgentsNetTask.Coloring => [.. Enumerable.Range(1, colours).Select(k => $"Group {k}")],
        _ => throw new ArgumentOutOfRangeException(nameof(task)),
    };

    /// <summary>
    /// Reads "### Final Answer ### X" from an LLM's reply: X is the text after the last marker, up to the end of its
    /// line, without surrounding quotes, markdown emphasis or a final full stop, and it must equal one option in
    /// full. Unlike the reference's regex alternation, "Group 10" is never read as "Group 1", nor "Anna" as "Ann".
    /// </summary>
    public static string? ParseAnswer(string reply, IReadOnlyList<string> options)
    {
        var at = reply.LastIndexOf(AnswerMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = reply[(at + AnswerMarker.Length)..].TrimStart();
        var end = rest.IndexOfAny(['\n', '\r']);
        var answer = (end >= 0 ? rest[..end] : rest).Trim(' ', '\t', '*', '`', '"', '\'', '.');
        foreach (var option in options)
        {
            if (string.Equals(answer, option, StringComparison.OrdinalIgnoreCase))
            {
                return option;
            }
        }

        return null;
    }

    public static AgentsNetScore Score(AgentsNetTask task, AgentsNetGraph graph, IReadOnlyList<string?> answers)
    {
        if (answers.Count != graph.NodeCount)
        {
            throw new ArgumentException($"{answers.Count} answers for {graph.NodeCount} nodes", nameof(answers));
        }

        bool Valid(int v) => answers[v] is { } a && Options(task, graph, v).Contains(a);
        var n = graph.NodeCount;
        switch (task)
        {
            case AgentsNetTask.Consensus:
                return new(Enumerable.Range(0, n).All(Valid) && answers.Distinct().Count() == 1 ? 1 : 0);

            case AgentsNetTask.LeaderElection:
                return new(Enumerable.Range(0, n).All(Valid) && answers.Count(a => a == "Yes") == 1 ? 1 : 0);

            case AgentsNetTask.Matching:
            {
                var inconsistent = 0;
                for (var v = 0; v < n; v++)
                {
                    if (!Valid(v))
                    {
                        inconsistent++;
                        continue;
                    }

                    var neighbours = graph.Graph.Neighbours(v).ToArray();
                    if (answers[v] == "None")
                    {
                        // Unmatched is only consistent if no neighbour is unmatched too (else they could match).
                        if (neighbours.Any(u => answers[u] == "None"))
                        {
                            inconsistent++;
                        }

                        continue;
                    }

                    var partner = neighbours.First(u => graph.Names[u] == answers[v]);
                    if (answers[partner] != graph.Names[v])
                    {
                        inconsistent++;
                    }
                }

                return new((double)(n - inconsistent) / n);
            }

            case AgentsNetTask.Coloring:
            {
                if (!Enumerable.Range(0, n).All(Valid))
                {
                    return new(0);
                }

                var edges = 0;
                var proper = 0;
                foreach (var (u, v) in graph.Graph.Edges())
                {
                    edges++;
                    proper += answers[u] != answers[v] ? 1 : 0;
                }

                return new(edges == 0 ? 1 : (double)proper / edges);
            }

            case AgentsNetTask.VertexCover:
            {
                // An answer that is not Yes (invalid or missing included) keeps the node out of the cover.
                bool InCover(int v) => answers[v] == "Yes";
                var cover = Enumerable.Range(0, n).Where(InCover).ToArray();
                if (cover.Length == 0)
                {
                    // The reference divides by zero here; SCENARIOS.md scores it 0.
                    return new(0);
                }

                var edges = 0;
                var covered = 0;
                foreach (var (u, v) in graph.Graph.Edges())
                {
                    edges++;
                    covered += InCover(u) || InCover(v) ? 1 : 0;
                }

                // The reference's rule: a Yes node is needed when answering No instead would leave the cover incomplete.
                // If the cover is already incomplete that holds for every Yes node; if it is complete, exactly for those
                // with a neighbour outside the cover (the edge to it would lose its only cover).
                var complete = covered == edges;
                var needed = complete ? cover.Count(v => graph.Graph.Neighbours(v).ToArray().Any(u => !InCover(u))) : cover.Length;
                var coverage = edges == 0 ? 1 : (double)covered / edges;
                return new(coverage * needed / cover.Length);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(task));
        }
    }
}
