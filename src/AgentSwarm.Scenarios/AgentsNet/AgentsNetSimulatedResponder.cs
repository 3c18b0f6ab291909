using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>
/// How the simulated backend's "model" plays AgentsNet. It reads the conversation as a model would: its own earlier
/// replies say what it decided, the last prompt's "Name: text" lines what its neighbours said. It colours greedily
/// (keeps its group unless a neighbour claims it, then moves to a free group half the time), agrees by majority, and
/// elects by flooding the smallest name; matching and vertex cover it answers at random, so they score low. With
/// chain of thought on it writes a short reasoning before the JSON or the answer line.
/// </summary>
public sealed partial class AgentsNetSimulatedResponder : ISimulatedResponder
{
    public string TaskPrefix => "agentsnet.";

    public string Respond(LlmRequest request, ref AgentRandom random)
    {
        var hint = request.Hint!;
        var words = hint.Words ?? [];
        var me = words.Length > 0 ? words[0] : "agent";
        var neighbours = words.Length > 1 ? words[1..] : [];
        var colours = hint.Values.Length > 0 ? (int)hint.Values[0] : 1;
        var thinking = hint.Values.Length > 1 && hint.Values[1] == 1;
        var parts = hint.Task.Split('.');
        var task = parts.Length > 1 ? parts[1] : string.Empty;
        var answering = parts.Length > 2 && parts[2] == "answer";

        var mine = string.Concat(request.Messages.Where(m => m.Role == LlmRole.Assistant).Select(m => m.Text + "\n"));
        // A retry (attempt 1) follows the round's prompt, the reply and the complaint: the messages are in the prompt before.
        var prompts = request.Messages.Where(m => m.Role == LlmRole.User).ToArray();
        var retry = hint.Values.Length > 2 && hint.Values[2] >= 1 && prompts.Length >= 2;
        var heard = Heard(prompts[retry ? ^2 : ^1].Text, neighbours);
        string state;
        string answer;
        switch (task)
        {
            case "coloring":
            {
                var own = Last(OwnGroup(), mine) is { } g ? int.Parse(g, CultureInfo.InvariantCulture) : 0;
                var claimed = heard.SelectMany(h => AnyGroup().Matches(h).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))).ToHashSet();
                if (own == 0)
                {
                    own = 1 + random.NextInt(colours);
                }
                else if (!answering && claimed.Contains(own) && random.NextInt(2) == 0)
                {
                    var free = Enumerable.Range(1, colours).Where(c => !claimed.Contains(c)).ToArray();
                    own = free.Length > 0 ? free[random.NextInt(free.Length)] : 1 + random.NextInt(colours);
                }

                state = $"I am in Group {own}.";
                answer = $"Group {own}";
                break;
            }

            case "consensus":
            {
                var own = Last(OwnValue(), mine) ?? (random.NextInt(2) == 0 ? "0" : "1");
                var ones = heard.Count(h => AnyValue().Match(h) is { Success: true } m && m.Groups[1].Value == "1");
                var zeros = heard.Count(h => AnyValue().Match(h) is { Success: true } m && m.Groups[1].Value == "0");
                ones += own == "1" ? 1 : 0;
                zeros += own == "0" ? 1 : 0;
                own = ones > zeros ? "1" : zeros > ones ? "0" : own;
                state = $"My value is {own}.";
                answer = own;
                break;
            }

            case "leader_election":
            {
                var least = Last(OwnLeast(), mine) ?? me;
                foreach (var h in heard)
                {
                    if (AnyLeast().Match(h) is { Success: true } m && string.CompareOrdinal(m.Groups[1].Value, least) < 0)
                    {
                        least = m.Groups[1].Value;
                    }
                }

                state = $"The smallest name I know is {least}.";
                answer = least == me ? "Yes" : "No";
                break;
            }

            case "matching":
                answer = random.NextInt(neighbours.Length + 1) is var pick && pick < neighbours.Length ? neighbours[pick] : "None";
                state = answer == "None" ? "I have no partner yet." : $"I would like to pair with {answer}.";
                break;

            default:
                answer = random.NextInt(2) == 0 ? "Yes" : "No";
                state = answer == "Yes" ? "I will be a coordinator." : "I will not be a coordinator.";
                break;
        }

        var text = new StringBuilder();
        if (thinking)
        {
            text.Append(CultureInfo.InvariantCulture, $"Let me think step by step. I am {me} and my neighbours are {string.Join(", ", neighbours)}. ");
            text.Append(CultureInfo.InvariantCulture, $"In the last round I heard from {heard.Count} of them. ");
            text.Append("Given what they told me, I settle on this: ").Append(state).Append("\n\n");
        }

        if (answering)
        {
            return text.Append(AgentsNetRules.AnswerMarker).Append(' ').Append(answer).ToString();
        }

        var messages = neighbours.ToDictionary(n => n, _ => state);
        var json = JsonSerializer.Serialize(messages);
        return thinking ? text.Append("```json\n").Append(json).Append("\n```").ToString() : json;
    }

    /// <summary>The texts of the "Name: text" lines of a prompt whose Name is a neighbour.</summary>
    private static List<string> Heard(string prompt, string[] neighbours)
    {
        var heard = new List<string>();
        foreach (var line in prompt.Split('\n'))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && neighbours.Contains(line[..colon], StringComparer.Ordinal))
            {
                heard.Add(line[(colon + 2)..]);
            }
        }

        return heard;
    }

    private static string? Last(Regex pattern, string text)
    {
        var matches = pattern.Matches(text);
        return matches.Count == 0 ? null : matches[^1].Groups[1].Value;
    }

    [GeneratedRegex(@"I am in Group (\d+)")]
    private static partial Regex OwnGroup();

    [GeneratedRegex(@"Group (\d+)")]
    private static partial Regex AnyGroup();

    [GeneratedRegex(@"My value is ([01])")]
    private static partial Regex OwnValue();

    [GeneratedRegex(@"value is ([01])")]
    private static partial Regex AnyValue();

    [GeneratedRegex(@"The smallest name I know is ([^.\s""]+)\.")]
    private static partial Regex OwnLeast();

    [GeneratedRegex(@"smallest name I know is ([^.\s""]+)\.")]
    private static partial Regex AnyLeast();
}
