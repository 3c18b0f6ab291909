namespace AgentSwarm.Hosting;

/// <summary>
/// A run folder taken by this process: it holds the folder's <see cref="RunOutput.LockFile"/> locked (an advisory
/// lock, flock(2) on Linux, released when the process goes however it goes), so a second writer of the same folder
/// is refused at once instead of interleaving its files with the first's. Taking it is atomic; what the folder holds
/// is checked after it is taken.
/// </summary>
public sealed class RunFolderClaim : IDisposable
{
    private readonly FileStream _lock;

    private RunFolderClaim(FileStream fileLock) => _lock = fileLock;

    public string Directory => Path.GetDirectoryName(_lock.Name)!;

    /// <summary>
    /// Creates the folder and takes it, or returns null when another process holds it. The lock file stays when the
    /// claim is released (empty, unlocked): deleting it would let a writer that opened it just before it went lock
    /// the deleted file while the next one creates and locks a new file, and both would hold the folder.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be created or the lock file written (not a lock conflict).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static RunFolderClaim? TryTake(string directory) =>
        TryLock(directory) is { } fileLock ? new RunFolderClaim(fileLock) : null;

    /// <summary>The folder's lock file, open and locked, or null when another process holds it.</summary>
    public static FileStream? TryLock(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, RunOutput.LockFile);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (File.Exists(path) && !RunOutput.IsDiskFull(ex))
        {
            return null;
        }
    }

    public void Dispose() => _lock.Dispose();
}
