using System.Globalization;
using System.Text;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>What one agent perceives: its k x k window in the reference's symbols, and the messages it hears.</summary>
public static class SwarmView
{
    /// <summary>
    /// The agent's window as the reference prints it: a header of global column numbers, then each row's global
    /// number and its cells, 4 characters each. Agents show as their id ($id with the light off or without food), the
    /// agent itself as Y, cells off the map as *.
    /// </summary>
    public static string Render(SwarmWorld world, int agent)
    {
        var k = world.View;
        var half = k / 2;
        var (row, col) = (world.Rows[agent], world.Cols[agent]);
        var occupants = world.Occupants();
        var text = new StringBuilder(k * (k + 1) * 4);
        text.Append("   ");
        for (var j = 0; j < k; j++)
        {
            text.Append(j == 0 ? string.Empty : " ").Append((col - half + j).ToString(CultureInfo.InvariantCulture).PadLeft(3));
        }

        text.Append('\n');
        for (var i = 0; i < k; i++)
        {
            var r = row - half + i;
            text.Append(r.ToString(CultureInfo.InvariantCulture).PadLeft(3)).Append("  ");
            for (var j = 0; j < k; j++)
            {
                var c = col - half + j;
                string cell;
                if (i == half && j == half)
                {
                    cell = "Y";
                }
                else if (!world.Inside(r, c))
                {
                    cell = "*";
                }
                else
                {
                    var symbol = world.Symbol(r, c);
                    var other = occupants[(r * world.Width) + c];
                    cell = symbol is 'A' or 'a' && other >= 0
                        ? (symbol == 'A' ? string.Empty : "$") + other.ToString(CultureInfo.InvariantCulture)
                        : symbol.ToString();
                }

                text.Append(cell.PadRight(4));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// The messages sent last round by agents within Chebyshev distance floor(k / 2) of this one, itself included,
    /// in the order of their senders (the reference keeps messages in the order agents acted; they carry no sender).
    /// An agent that left the map last round counts from the cell outside it where it stands (see <see cref="SwarmWorld.Rows"/>).
    /// </summary>
    public static List<string> Heard(SwarmWorld world, string?[] messages, int agent)
    {
        var heard = new List<(int From, string Text)>();
        if (world.Escaped[agent])
        {
            return [];
        }

        var half = world.View / 2;
        var (row, col) = (world.Rows[agent], world.Cols[agent]);
        var occupants = world.Occupants();
        for (var r = Math.Max(0, row - half); r <= Math.Min(world.Height - 1, row + half); r++)
        {
            for (var c = Math.Max(0, col - half); c <= Math.Min(world.Width - 1, col + half); c++)
            {
                var other = occupants[(r * world.Width) + c];
                if (other >= 0 && messages[other] is { Length: > 0 } text)
                {
                    heard.Add((other, text));
                }
            }
        }

        // The reference keeps a leaver's body on its cell outside the map and compares positions only, so what it said
        // in the round it left reaches whoever is within reach of that cell; only a window that crosses the edge can.
        if (row - half < 0 || col - half < 0 || row + half >= world.Height || col + half >= world.Width)
        {
            foreach (var other in world.Departed())
            {
                if (messages[other] is { Length: > 0 } text && Math.Abs(world.Rows[other] - row) <= half && Math.Abs(world.Cols[other] - col) <= half)
                {
                    heard.Add((other, text));
                }
            }
        }

        heard.Sort((a, b) => a.From.CompareTo(b.From));
        return heard.ConvertAll(h => h.Text);
    }

    /// <summary>The message an agent broadcasts: the first line, cut to 120 characters with "..." after, or null for none.</summary>
    public static string? Clip(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > SwarmBenchConfig.MaxMessage ? line[..SwarmBenchConfig.MaxMessage] + "..." : (line.Length == 0 ? null : line);
    }
}
