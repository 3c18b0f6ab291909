namespace AgentSwarm.Scenarios.Files;

/// <summary>Keeping paths inside the folders a server serves (scenario files, the files they name, run files).</summary>
public static class FolderPath
{
    /// <summary>
    /// The full path <paramref name="relative"/> names under <paramref name="folder"/>, or null when it leaves the folder
    /// (through .., or by being absolute somewhere else) or names the folder itself.
    /// </summary>
    public static string? Within(string folder, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(folder, relative));
        return Contains(folder, full) ? full : null;
    }

    /// <summary>Whether the full path <paramref name="path"/> lies inside <paramref name="folder"/> (not the folder itself).</summary>
    public static bool Contains(string folder, string path)
    {
        var root = Path.GetFullPath(folder);
        if (!root.EndsWith(Path.DirectorySeparatorChar))
        {
            root += Path.DirectorySeparatorChar;
        }

        return path.StartsWith(root, StringComparison.Ordinal);
    }
}
