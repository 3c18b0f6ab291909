using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Logging;

namespace AgentSwarm.Replay;

/// <summary>
/// A run's log folder, read: the manifest (header, the complete rounds, how the run ended), one stream per partition
/// (actions, messages, snapshots) and the LLM streams (calls and their shared prompt table). Opening reads only the
/// manifest; the other streams are read on demand, one record at a time.
/// </summary>
public sealed class RunLog
{
    private RunLog(string directory, RunHeaderRecord header, List<RoundEndRecord> rounds, RunEndRecord? end, StreamEnd manifestEnd)
    {
        Directory = directory;
        Header = header;
        Rounds = rounds;
        End = end;
        ManifestEnd = manifestEnd;
    }

    public string Directory { get; }

    public RunHeaderRecord Header { get; }

    /// <summary>The complete rounds, in order: a round is complete once its record is in the manifest.</summary>
    public IReadOnlyList<RoundEndRecord> Rounds { get; }

    /// <summary>How the run ended; null when the log was cut off (a crash) or the run is still going.</summary>
    public RunEndRecord? End { get; }

    public StreamEnd ManifestEnd { get; }

    public int LastCompleteRound => Rounds.Count == 0 ? 0 : Rounds[^1].Round;

    /// <summary>
    /// A stream of this log that a writer holds open now (a run still going, in this process or another on this host),
    /// or null. A writer holds a shared lock on each stream it appends to (<see cref="LogStreamWriter"/>: .NET's
    /// FileShare is flock(2) on Linux); this asks for an exclusive one on each, without waiting. A file system without
    /// flock (some network mounts) answers null.
    /// </summary>
    public string? StreamBeingWritten() => StreamBeingWritten(Directory);

    /// <inheritdoc cref="StreamBeingWritten()"/>
    /// <param name="directory">A log folder, which need not decode (a corrupt log can still have a writer).</param>
    public static string? StreamBeingWritten(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return null;
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.aslog"))
        {
            try
            {
                using var probe = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.None);
            }
            catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException))
            {
                return file;
            }
        }

        return null;
    }

    /// <summary>Opens a log folder (or a run's output folder holding log/); throws <see cref="LogFormatException"/> naming what is wrong.</summary>
    public static RunLog Open(string path)
    {
        // "runs/x/log/" as tab completion gives it is "runs/x/log": callers take the folder's name and parent from it.
        path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var directory = System.IO.Directory.Exists(Path.Combine(path, "log")) && !File.Exists(Path.Combine(path, LogFormat.Manifest))
            ? Path.Combine(path, "log")
            : path;
        if (File.Exists(path))
        {
            directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (Path.GetFileName(path) != LogFormat.Manifest)
            {
                // A single stream file given: check it is one, then read its folder.
                using var file = File.OpenRead(path);
                LogStreamReader.CheckHeader(file, path);
            }
        }

        var manifest = Path.Combine(directory, LogFormat.Manifest);
        if (!File.Exists(manifest))
        {
            throw new LogFormatException(System.IO.Directory.Exists(directory)
                ? $"{directory}: no {LogFormat.Manifest}: not an AgentSwarm log folder"
                : $"{path}: no such log folder");
        }

        var box = new StreamEndBox();
        RunHeaderRecord? header = null;
        var rounds = new List<RoundEndRecord>();
        RunEndRecord? end = null;
        foreach (var record in LogStreamReader.Records(manifest, box))
        {
            switch (record)
            {
                case RunHeaderRecord h when header is null:
                    header = h;
                    break;
                case RoundEndRecord r when header is not null:
                    rounds.Add(r);
                    break;
                case RunEndRecord e when header is not null:
                    end = e;
                    break;
                default:
                    throw new LogFormatException($"{manifest}: unexpected {record.GetType().Name} {(header is null ? "before the run's header" : "in the manifest")}");
            }
        }

        if (header is null)
        {
            throw new LogFormatException($"{manifest}: the manifest holds no run header (the run was cut off before it started)");
        }

        return new RunLog(directory, header, rounds, end, box.Value!);
    }

    public IEnumerable<string> PartitionFiles() =>
        Enumerable.Range(0, Header.Partitions).Select(p => Path.Combine(Directory, LogFormat.PartitionFile(p))).Where(File.Exists);

    public IEnumerable<string> LlmFiles() =>
        System.IO.Directory.GetFiles(Directory, "llm-*.aslog").Order(StringComparer.Ordinal);

    /// <summary>First agent of every partition, plus the agent count last (as the controller cut them; the header keeps them).</summary>
    public int[] Bounds() => Header.Bounds;

    /// <summary>
    /// Partition records of complete rounds (up to <paramref name="until"/>), partition by partition. Every reader goes
    /// through here, so here the log must be whole: a partition stream that is missing, belongs to another run, or
    /// stops before the last complete round the manifest names throws <see cref="LogFormatException"/> saying which
    /// (a report from such a log would quietly lack rows).
    /// </summary>
    public IEnumerable<PartitionRoundRecord> PartitionRounds(int until = int.MaxValue, int? partition = null) =>
        PartitionRounds(until, partition, whole: true);

    private IEnumerable<PartitionRoundRecord> PartitionRounds(int until, int? partition, bool whole)
    {
        var last = Math.Min(until, LastCompleteRound);
        var partitions = partition is { } p ? [p] : Enumerable.Range(0, Header.Partitions);
        foreach (var index in partitions)
        {
            var file = Path.Combine(Directory, LogFormat.PartitionFile(index));
            if (!File.Exists(file))
            {
                if (whole && last > 0)
                {
                    throw new LogFormatException($"{file}: missing: the manifest has {last} complete round(s) of {Header.Partitions} partitions, and this partition's stream is gone ('agentswarm replay --verify' lists what the log lacks)");
                }

                continue;
            }

            var seen = 0;
            var first = true;
            foreach (var record in LogStreamReader.Records(file))
            {
                if (first && Foreign(record) is { } foreign)
                {
                    throw new LogFormatException($"{file}: {foreign}: a stream copied in from another log");
                }

                first = false;
                if (record is PartitionRoundRecord r && r.Round <= last)
                {
                    seen = Math.Max(seen, r.Round);
                    yield return r;
                }
            }

            if (whole && seen < last)
            {
                throw new LogFormatException($"{file}: cut short: it stops {(seen == 0 ? "before round 1" : $"in round {seen}")}, but the manifest has {last} complete round(s); this log is damaged ('agentswarm replay --verify' lists what it lacks)");
            }
        }
    }

    public IEnumerable<SnapshotRecord> Snapshots(int until = int.MaxValue)
    {
        var last = Math.Min(until, LastCompleteRound);
        foreach (var file in PartitionFiles())
        {
            foreach (var record in LogStreamReader.Records(file))
            {
                if (record is SnapshotRecord s && s.Round <= last)
                {
                    yield return s;
                }
            }
        }
    }

    /// <summary>LLM calls of complete rounds, each with its prompt read back from the prompt table.</summary>
    public IEnumerable<(LlmCallRecord Call, LlmMessage[] Prompt)> LlmCalls(int until = int.MaxValue)
    {
        var last = Math.Min(until, LastCompleteRound);
        foreach (var file in LlmFiles())
        {
            var texts = new Dictionary<ulong, string>();
            foreach (var record in LogStreamReader.Records(file))
            {
                switch (record)
                {
                    case TextRecord t:
                        texts[t.Id] = t.Text;
                        break;
                    case LlmCallRecord c when c.Round <= last:
                        var prompt = new LlmMessage[c.Prompt.Length];
                        for (var i = 0; i < prompt.Length; i++)
                        {
                            if (!texts.TryGetValue(c.Prompt[i], out var text))
                            {
                                throw new LogFormatException($"{file}: the call of agent {c.Agent} in round {c.Round} uses prompt text {c.Prompt[i]:x16}, which the prompt table lacks");
                            }

                            prompt[i] = new LlmMessage((LlmRole)c.Roles[i], text);
                        }

                        yield return (c, prompt);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Checks the log against itself: every partition record's actions and messages against the hash written with them,
    /// and every round's partition hashes against the round's. Returns the problems, each naming its round.
    /// </summary>
    public List<string> SelfCheck(int until = int.MaxValue)
    {
        var problems = new List<string>();
        var sums = new Dictionary<int, ulong>();
        var seen = new Dictionary<int, int>();
        foreach (var record in PartitionRounds(until, null, whole: false))
        {
            ulong hash = 0;
            for (var i = 0; i < record.Numbers.Length; i++)
            {
                var count = record.SentOffsets[i + 1] - record.SentOffsets[i];
                var sent = new OutgoingMessage[count];
                for (var m = 0; m < count; m++)
                {
                    sent[m] = new OutgoingMessage(record.SentTo[record.SentOffsets[i] + m], record.SentText[record.SentOffsets[i] + m]);
                }

                hash += StateHash.Agent(record.First + i, new AgentAction(record.Numbers[i], record.Texts?[i]), sent);
            }

            if (hash != record.StateHash)
            {
                problems.Add($"round {record.Round}: partition {record.Partition}'s recorded actions and messages do not match their hash (recorded {record.StateHash:x16}, computed {hash:x16})");
            }

            sums[record.Round] = sums.GetValueOrDefault(record.Round) + record.StateHash;
            seen[record.Round] = seen.GetValueOrDefault(record.Round) + 1;
        }

        foreach (var round in Rounds.Where(r => r.Round <= until))
        {
            if (seen.GetValueOrDefault(round.Round) != Header.Partitions)
            {
                problems.Add($"round {round.Round}: {seen.GetValueOrDefault(round.Round)} of {Header.Partitions} partition records");
            }
            else if (sums[round.Round] != round.StateHash)
            {
                problems.Add($"round {round.Round}: the partitions' hashes add up to {sums[round.Round]:x16}, the round's is {round.StateHash:x16}");
            }
        }

        return problems;
    }

    /// <summary>Why a partition stream whose first record is <paramref name="first"/> is another run's, or null when it is this run's (or says nothing).</summary>
    private string? Foreign(LogRecord? first) =>
        first is StreamOwnerRecord owner && owner.RunId != Header.RunId ? $"belongs to run '{owner.RunId}', not to this log's run '{Header.RunId}'" : null;

    /// <summary>
    /// What makes the log less than whole, cheaply (each partition stream's first and last frame only): a stream that
    /// is missing, belongs to another run, or stops before the manifest's last complete round. Empty when whole.
    /// </summary>
    public List<string> Completeness()
    {
        var problems = new List<string>();
        var last = LastCompleteRound;
        for (var p = 0; p < Header.Partitions && last > 0; p++)
        {
            var file = Path.Combine(Directory, LogFormat.PartitionFile(p));
            try
            {
                if (!File.Exists(file))
                {
                    problems.Add($"{LogFormat.PartitionFile(p)} is missing (the manifest has {last} complete rounds of {Header.Partitions} partitions)");
                    continue;
                }

                if (Foreign(LogStreamReader.Records(file).FirstOrDefault()) is { } foreign)
                {
                    problems.Add($"{LogFormat.PartitionFile(p)} {foreign}");
                    continue;
                }

                var seen = LogStreamReader.LastFrame(file) is { } frame
                    ? LogStreamReader.Records(file, from: frame).Select(r => r.RecordRound).DefaultIfEmpty(0).Max()
                    : 0;
                if (seen < last)
                {
                    problems.Add($"{LogFormat.PartitionFile(p)} stops {(seen == 0 ? "before round 1" : $"in round {seen}")}, but the manifest has {last} complete rounds");
                }
            }
            catch (LogFormatException ex)
            {
                problems.Add(ex.Message);
            }
        }

        return problems;
    }

    /// <summary>
    /// Cuts the log back to its last complete round (or <paramref name="round"/>), for a resume: every stream keeps
    /// only its records of rounds up to it (and its prompt table), a cut-off frame is dropped, and the manifest loses
    /// its end record. Each file is rewritten beside itself and then renamed over it.
    /// </summary>
    public void TruncateAfter(int round)
    {
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.aslog"))
        {
            TruncateFile(file, round);
        }
    }

    /// <summary>Cuts one stream back to its records of rounds up to <paramref name="round"/>; a torn last frame goes too.</summary>
    public static void TruncateFile(string file, int round)
    {
        var temporary = file + ".tmp";
        File.Delete(temporary);
        try
        {
            CopyUpTo(file, temporary, round);
        }
        catch
        {
            // A refused cut (the disk filled, a damaged frame) leaves the stream as it was and nothing beside it.
            File.Delete(temporary);
            throw;
        }

        File.Move(temporary, file, overwrite: true);
    }

    private static void CopyUpTo(string file, string temporary, int round)
    {
        var kept = new List<LogRecord>();
        using var writer = LogStreamWriter.Open(temporary);
        foreach (var record in LogStreamReader.Records(file))
        {
            if (record is RunEndRecord || record.RecordRound > round)
            {
                continue;
            }

            kept.Add(record);
            if (kept.Count >= 4096 || record is PartitionRoundRecord or RoundEndRecord or RunHeaderRecord)
            {
                writer.WriteFrame(kept);
                kept.Clear();
            }
        }

        writer.WriteFrame(kept);
    }
}
