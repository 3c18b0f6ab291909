using System.Collections.Concurrent;
using System.Diagnostics;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Llm;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference;

/// <summary>
/// The agents' side of the pool on one silo. Calls made while a batch is open join it; a batch goes to the run's
/// inference grain when it is full or on the thread pool's next turn, so one grain call carries many LLM calls under
/// load and a lone call waits for nobody. At most <see cref="InferenceOptions.MaxOutstanding"/> calls wait at once.
/// </summary>
public sealed class InferenceClient(IGrainFactory grains, IOptions<InferenceOptions> options)
{
    private readonly ConcurrentDictionary<string, RunBatcher> _runs = new(StringComparer.Ordinal);
    private readonly InferenceOptions _options = options.Value;
    private readonly CallLimiter _outstanding = new(options.Value.MaxOutstanding);

    /// <summary>A client bound to one run and its settings, as an agent's mind sees it.</summary>
    public ILlmClient For(string runId, LlmSpec spec) =>
        _runs.GetOrAdd(runId, static (id, state) => new RunBatcher(id, state.Spec, state.Client), (Spec: spec, Client: this));

    /// <summary>Every inference grain of a run, for its counters.</summary>
    public IInferenceGrain[] Grains(string runId) => Shards(grains, runId, _options.Shards);

    public static IInferenceGrain[] Shards(IGrainFactory grains, string runId, int shards) =>
        [.. Enumerable.Range(0, Math.Max(1, shards)).Select(s => grains.GetGrain<IInferenceGrain>($"{runId}#{s}"))];

    private sealed class RunBatcher(string runId, LlmSpec spec, InferenceClient owner) : ILlmClient
    {
        private readonly Lock _lock = new();
        private readonly IInferenceGrain[] _shards = owner.Grains(runId);
        private List<Pending> _open = [];
        private bool _flushQueued;
        private int _nextShard;

        public async ValueTask<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            // Calls leave in batches shared by many agents, so the step's trace goes with each call, not with the batch.
            // Activity.Current is set only while someone listens to AgentSwarm's traces: no cost otherwise.
            if (request.TraceParent is null && Activity.Current is { IdFormat: ActivityIdFormat.W3C } step)
            {
                request = request with { TraceParent = step.Id };
            }

            if (!await owner._outstanding.EnterAsync(cancellationToken))
            {
                return Cancelled;
            }

            try
            {
                var pending = new Pending(request, cancellationToken);
                List<Pending>? full = null;
                var queueFlush = false;
                lock (_lock)
                {
                    _open.Add(pending);
                    if (_open.Count >= owner._options.BatchSize)
                    {
                        full = _open;
                        _open = [];
                    }
                    else if (!_flushQueued)
                    {
                        _flushQueued = true;
                        queueFlush = true;
                    }
                }

                if (full is not null)
                {
                    _ = SendAsync(full);
                }

                if (queueFlush)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(static batcher => batcher.FlushOpen(), this, preferLocal: false);
                }

                // No WaitAsync (a promise and a registration more per call): the batch's registration for this call
                // answers it as cancelled (see SendAsync).
                return await pending.Task;
            }
            finally
            {
                owner._outstanding.Exit();
            }
        }

        private void FlushOpen()
        {
            List<Pending> batch;
            lock (_lock)
            {
                _flushQueued = false;
                if (_open.Count == 0)
                {
                    return;
                }

                batch = _open;
                _open = [];
            }

            _ = SendAsync(batch);
        }

        /// <summary>
        /// Sends a batch to one of the run's inference grains. One agent's cancellation must not cancel the calls of the
        /// others in its batch, but once every caller of the batch has given up (a cancelled run), the batch is cancelled
        /// too, down to the pool's queues, so calls still waiting for a GPU never reach it.
        /// </summary>
        private async Task SendAsync(List<Pending> batch)
        {
            var requests = new LlmRequest[batch.Count];
            for (var i = 0; i < requests.Length; i++)
            {
                requests[i] = batch[i].Request;
            }

            using var abandoned = new CancellationTokenSource();
            var state = new BatchState(batch.Count, abandoned);
            var registrations = new CancellationTokenRegistration[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Batch = state;
                registrations[i] = batch[i].Cancellation.UnsafeRegister(static pending => ((Pending)pending!).GiveUp(), batch[i]);
            }

            var shard = _shards[(int)((uint)Interlocked.Increment(ref _nextShard) % (uint)_shards.Length)];
            try
            {
                var responses = await shard.CompleteAsync(runId, spec, requests, abandoned.Token);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].TrySetResult(responses[i]);
                }
            }
            catch (OperationCanceledException) when (abandoned.IsCancellationRequested)
            {
                foreach (var pending in batch)
                {
                    pending.TrySetResult(Cancelled);
                }
            }
            catch (Exception exception)
            {
                // The pool answers the model's failures as values; an exception here is the grain call itself failing (a
                // silo lost, say). It is no answer of the model, so it must not become one: an agent that took it for a
                // failed call would decide differently than an undisturbed run, and a recovery would replay that from the
                // log. The agents' step fails with it instead, and the controller rolls the run back as for any lost silo.
                foreach (var pending in batch)
                {
                    pending.TrySetException(exception);
                }
            }
            finally
            {
                foreach (var registration in registrations)
                {
                    registration.Dispose();
                }
            }
        }
    }

    private static readonly LlmResponse Cancelled = new(LlmOutcome.Cancelled, null, "cancelled", 0, 0, null, 0, 0, false);

    /// <summary>One agent's call in a batch; its answer comes through this task.</summary>
    private sealed class Pending(LlmRequest request, CancellationToken cancellation)
        : TaskCompletionSource<LlmResponse>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public LlmRequest Request => request;

        public CancellationToken Cancellation => cancellation;

        /// <summary>The batch it left in (set as the batch is sent).</summary>
        public BatchState? Batch { get; set; }

        /// <summary>
        /// The caller gave up: it has its answer at once and the batch goes on for the others, unless it was the last
        /// of them, and then the batch is cancelled down to the pool's queues.
        /// </summary>
        public void GiveUp()
        {
            TrySetResult(Cancelled);
            if (Batch is { } batch && Interlocked.Decrement(ref batch.Waiting) == 0)
            {
                batch.Abandoned.Cancel();
            }
        }
    }

    private sealed class BatchState(int waiting, CancellationTokenSource abandoned)
    {
        public int Waiting = waiting;

        public CancellationTokenSource Abandoned => abandoned;
    }
}
