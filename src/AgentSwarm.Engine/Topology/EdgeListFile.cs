using System.Globalization;

namespace AgentSwarm.Engine.Topology;

/// <summary>Reads an edge list: one "a b" pair of 0-based agent indices per line (spaces, tabs or a comma); '#' starts a comment.</summary>
public static class EdgeListFile
{
    public static int[] Read(string path)
    {
        var edges = new List<int>();
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw;
            var hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line[..hash];
            }

            var parts = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            {
                throw new FormatException($"{path}:{lineNumber}: expected two non-negative agent indices, got '{raw.Trim()}'");
            }

            edges.Add(a);
            edges.Add(b);
        }

        return [.. edges];
    }
}
