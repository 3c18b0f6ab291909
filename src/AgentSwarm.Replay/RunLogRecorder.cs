using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Logging;
using Orleans.Serialization;

namespace AgentSwarm.Replay;

/// <summary>
/// The engine's recorder: one writer per stream, so partitions never wait on each other. The controller writes the
/// manifest; each partition its own stream; LLM calls go to one stream per silo and run, flushed before the silo's
/// partition records of the round, so a round the manifest calls complete has all its calls on disk.
/// </summary>
public sealed class RunLogRecorder(Serializer serializer) : IRunRecorder, IDisposable
{
    private readonly ConcurrentDictionary<string, RunWriters> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Dictionary<(int Agent, int Round, int Sequence), LlmResponse>>> _replays = new(StringComparer.Ordinal);

    /// <summary>The header of a run: the spec (without its log settings) in Orleans' binary form.</summary>
    public static RunHeaderRecord Header(Serializer serializer, string runId, RunSpec spec) => new()
    {
        FormatVersion = LogFormat.Version,
        RunId = runId,
        Scenario = spec.Scenario,
        Agents = spec.Agents,
        Rounds = spec.Rounds,
        Seed = spec.Seed,
        Partitions = spec.Partitions,
        Policy = spec.Policy.Name,
        Endpoints = spec.Policy.Llm?.Endpoints ?? [],
        CreatedUtc = DateTime.UtcNow,
        Spec = serializer.SerializeToArray(spec with { Log = null }),
        Bounds = spec.PartitionBounds(),
        SnapshotEvery = spec.Log?.SnapshotEvery ?? 0,
    };

    public ValueTask StartedAsync(string runId, RunSpec spec)
    {
        var writers = Writers(runId, spec);
        if (spec.Log!.WriteAfter == 0)
        {
            writers.Manifest.WriteFrame([Header(serializer, runId, spec)]);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask PartitionRoundAsync(string runId, RunSpec spec, int partition, int round, int first, AgentAction[] actions, OutgoingMessage[]?[] sent, ulong hash)
    {
        var writers = Writers(runId, spec);

        // Encoding and compressing a partition's round is CPU work: off the grain's turn.
        await Task.Run(() =>
        {
            writers.FlushLlm();
            var record = new PartitionRoundRecord { Round = round, Partition = partition, First = first, StateHash = hash };
            var numbers = new double[actions.Length];
            string?[]? texts = null;
            var offsets = new int[actions.Length + 1];
            var total = 0;
            for (var i = 0; i < actions.Length; i++)
            {
                numbers[i] = actions[i].Number;
                if (actions[i].Text is { } text)
                {
                    texts ??= new string?[actions.Length];
                    texts[i] = text;
                }

                total += sent[i]?.Length ?? 0;
                offsets[i + 1] = total;
            }

            var to = new int[total];
            var words = new string[total];
            var at = 0;
            foreach (var messages in sent)
            {
                foreach (var message in messages ?? [])
                {
                    to[at] = message.To;
                    words[at++] = message.Text;
                }
            }

            record.Numbers = numbers;
            record.Texts = texts;
            record.SentOffsets = offsets;
            record.SentTo = to;
            record.SentText = words;
            var stream = writers.Partition(partition);
            lock (stream)
            {
                stream.WriteFrame([record]);
            }
        });
    }

    public async ValueTask SnapshotsAsync(string runId, RunSpec spec, int partition, int round, AgentSnapshot[] snapshots)
    {
        var writers = Writers(runId, spec);
        await Task.Run(() =>
        {
            var records = snapshots.Select(s => (LogRecord)new SnapshotRecord
            {
                Round = round,
                Agent = s.Index,
                Memory = s.Memory,
                Neighbours = s.Neighbours,
            }).ToList();
            var stream = writers.Partition(partition);
            lock (stream)
            {
                for (var i = 0; i < records.Count; i += 4096)
                {
                    stream.WriteFrame(records.GetRange(i, Math.Min(4096, records.Count - i)));
                }
            }
        });
    }

    public ValueTask RoundEndedAsync(string runId, RunSpec spec, RoundResult result)
    {
        var columns = result.Stats.Columns();
        Writers(runId, spec).Manifest.WriteFrame([new RoundEndRecord
        {
            Round = result.Round,
            ElapsedTicks = result.Elapsed.Ticks,
            AgentSteps = result.AgentSteps,
            Messages = result.Messages,
            DroppedMessages = result.DroppedMessages,
            StateHash = result.StateHash,
            Columns = [.. columns.Select(c => c.Key)],
            Values = [.. columns.Select(c => c.Value)],
        }]);
        return ValueTask.CompletedTask;
    }

    public ValueTask PartitionEndedAsync(string runId, int partition)
    {
        if (_runs.TryGetValue(runId, out var writers) && writers.EndPartition(partition))
        {
            // Nothing of the run is left open on this silo but its LLM stream: a silo of the cluster that is not the controller's.
            if (_runs.TryRemove(new KeyValuePair<string, RunWriters>(runId, writers)))
            {
                writers.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask EndedAsync(string runId, RunSpec spec, SimulationState state, int roundsCompleted, string? error)
    {
        if (_runs.TryRemove(runId, out var writers))
        {
            writers.FlushLlm();
            writers.Manifest.WriteFrame([new RunEndRecord { State = state.ToString(), RoundsCompleted = roundsCompleted, Error = error }]);
            writers.Dispose();
        }

        foreach (var key in _replays.Keys.Where(k => k.StartsWith(runId + "#", StringComparison.Ordinal)))
        {
            _replays.TryRemove(key, out _);
        }

        return ValueTask.CompletedTask;
    }

    public void LlmCall(string runId, RunLogSpec log, int agent, int round, int sequence, LlmRequest request, LlmResponse response)
    {
        var writers = _runs.GetOrAdd(runId, _ => new RunWriters(log.Directory!, log.LogId ?? runId));
        writers.AddLlm(agent, round, sequence, request, response);
    }

    public LlmResponse Recorded(string runId, RunLogSpec log, int agent, int round, int sequence)
    {
        return Calls(runId, log).TryGetValue((agent, round, sequence), out var response)
            ? response
            : throw new InvalidOperationException(
                $"the log in {log.ReplayFrom} has no LLM call {sequence + 1} of agent {agent} in round {round}: the log is incomplete, or the scenario asks differently than when it was recorded");
    }

    public bool TryRecorded(string runId, RunLogSpec log, int agent, int round, int sequence, out LlmResponse response) =>
        Calls(runId, log).TryGetValue((agent, round, sequence), out response!);

    public async ValueTask RollBackAsync(string runId, RunSpec spec, int partition, int afterRound)
    {
        var directory = spec.Log?.Directory;
        if (directory is null)
        {
            return;
        }

        if (_runs.TryGetValue(runId, out var writers))
        {
            writers.FlushLlm();
            writers.Close(partition);
        }

        // A later replay of this run reads the log again, with what the rounds before the loss recorded.
        foreach (var key in _replays.Keys.Where(k => k.StartsWith(runId + "#", StringComparison.Ordinal)))
        {
            _replays.TryRemove(key, out _);
        }

        var file = Path.Combine(directory, partition < 0 ? LogFormat.Manifest : LogFormat.PartitionFile(partition));
        if (File.Exists(file))
        {
            await Task.Run(() => RunLog.TruncateFile(file, afterRound));
        }
    }

    public void Dispose()
    {
        foreach (var writers in _runs.Values)
        {
            writers.Dispose();
        }

        _runs.Clear();
    }

    /// <summary>The recorded calls a replay (or a recovery) reads, loaded once per run and replay range on this silo.</summary>
    private Dictionary<(int Agent, int Round, int Sequence), LlmResponse> Calls(string runId, RunLogSpec log)
    {
        var until = Math.Max(log.ReplayUntil, log.ReplayPartial);
        return _replays.GetOrAdd($"{runId}#{until}", _ => new Lazy<Dictionary<(int, int, int), LlmResponse>>(() => LoadCalls(log.ReplayFrom!, until))).Value;
    }

    private static Dictionary<(int, int, int), LlmResponse> LoadCalls(string directory, int until)
    {
        var calls = new Dictionary<(int, int, int), LlmResponse>();
        foreach (var (call, _) in RunLog.Open(directory).LlmCalls(until))
        {
            calls[(call.Agent, call.Round, call.Sequence)] = new LlmResponse(
                (LlmOutcome)call.Outcome, call.Response, call.Error, call.PromptTokens, call.OutputTokens, call.Endpoint, call.LatencyMs, call.Retries, call.Cached);
        }

        return calls;
    }

    private RunWriters Writers(string runId, RunSpec spec) => _runs.GetOrAdd(runId, _ => new RunWriters(spec.Log!.Directory!, spec.Log.LogId ?? runId));

    /// <summary>The open streams of one run on this silo.</summary>
    private sealed class RunWriters(string directory, string logId) : IDisposable
    {
        private readonly ConcurrentDictionary<int, LogStreamWriter> _partitions = new();
        private readonly Lock _llmLock = new();
        private readonly List<LogRecord> _llm = [];
        private readonly HashSet<ulong> _texts = [];
        private LogStreamWriter? _manifest;
        private LogStreamWriter? _llmStream;

        public LogStreamWriter Manifest
        {
            get
            {
                lock (_partitions)
                {
                    if (_manifest is null)
                    {
                        Directory.CreateDirectory(directory);
                        _manifest = LogStreamWriter.Open(Path.Combine(directory, LogFormat.Manifest));
                    }

                    return _manifest;
                }
            }
        }

        /// <summary>Closes one stream's writer (-1: the manifest); the next write opens it again, appending.</summary>
        public void Close(int partition)
        {
            lock (_partitions)
            {
                if (partition < 0)
                {
                    _manifest?.Dispose();
                    _manifest = null;
                }
                else if (_partitions.TryRemove(partition, out var stream))
                {
                    lock (stream)
                    {
                        stream.Dispose();
                    }
                }
            }
        }

        /// <summary>Flushes the LLM records and closes one partition's stream; true when no stream but the LLM one is left open.</summary>
        public bool EndPartition(int partition)
        {
            FlushLlm();
            lock (_partitions)
            {
                Close(partition);
                return _manifest is null && _partitions.IsEmpty;
            }
        }

        public LogStreamWriter Partition(int partition) => _partitions.GetOrAdd(partition, p =>
        {
            Directory.CreateDirectory(directory);
            var stream = LogStreamWriter.Open(Path.Combine(directory, LogFormat.PartitionFile(p)));
            if (stream.Length == LogFormat.HeaderLength)
            {
                stream.WriteFrame([new StreamOwnerRecord { RunId = logId }]);
            }

            return stream;
        });

        public void AddLlm(int agent, int round, int sequence, LlmRequest request, LlmResponse response)
        {
            var ids = new ulong[request.Messages.Length];
            var roles = new byte[request.Messages.Length];
            lock (_llmLock)
            {
                for (var i = 0; i < ids.Length; i++)
                {
                    var text = request.Messages[i].Text;
                    ids[i] = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(text.AsSpan()));
                    roles[i] = (byte)request.Messages[i].Role;
                    if (_texts.Add(ids[i]))
                    {
                        _llm.Add(new TextRecord { Id = ids[i], Text = text });
                    }
                }

                _llm.Add(new LlmCallRecord
                {
                    Round = round,
                    Agent = agent,
                    Sequence = sequence,
                    Roles = roles,
                    Prompt = ids,
                    Temperature = request.Temperature,
                    Outcome = (int)response.Outcome,
                    Response = response.Text,
                    Error = response.Error,
                    Endpoint = response.Endpoint,
                    PromptTokens = response.PromptTokens,
                    OutputTokens = response.OutputTokens,
                    LatencyMs = response.LatencyMs,
                    Retries = response.Retries,
                    Cached = response.Cached,
                });
                if (_llm.Count >= 4096)
                {
                    FlushLlmLocked();
                }
            }
        }

        public void FlushLlm()
        {
            lock (_llmLock)
            {
                FlushLlmLocked();
            }
        }

        public void Dispose()
        {
            FlushLlm();
            _manifest?.Dispose();
            _llmStream?.Dispose();
            foreach (var stream in _partitions.Values)
            {
                stream.Dispose();
            }
        }

        private void FlushLlmLocked()
        {
            if (_llm.Count == 0)
            {
                return;
            }

            if (_llmStream is null)
            {
                Directory.CreateDirectory(directory);
                _llmStream = LogStreamWriter.Open(Path.Combine(directory, $"llm-{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid().ToString("N")[..8]}.aslog"));
            }

            _llmStream.WriteFrame(_llm);
            _llm.Clear();
        }
    }
}
