namespace AgentSwarm.Testing;

/// <summary>The repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding AgentSwarm.sln, found from the test's output folder upwards.</summary>
    public static string Root()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "AgentSwarm.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no AgentSwarm.sln above {AppContext.BaseDirectory}");
    }
}
