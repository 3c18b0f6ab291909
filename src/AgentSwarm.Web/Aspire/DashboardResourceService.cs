using System.Globalization;
using System.Threading.Channels;
using AgentSwarm.Web.Aspire.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSwarm.Web.Aspire;

/// <summary>
/// The Aspire dashboard's resource service (gRPC, <c>aspire.v1.DashboardService</c>), spoken over AgentSwarm's
/// <see cref="ResourceCatalog"/>: a standalone Aspire dashboard pointed at it (Dashboard:ResourceServiceClient:Url) lists
/// the console, the silos and the runs as resources, and starts, cancels, resumes and replays runs with their commands;
/// the start command asks for its inputs in the dashboard's dialog. The contract is not a stable public API: this file
/// and dashboard_service.proto are all that speak it.
/// </summary>
public sealed class DashboardResourceService(ResourceCatalog catalog, DashboardDialogs dialogs) : DashboardService.DashboardServiceBase
{
    /// <summary>How often a watch looks again when nothing on the board said it changed (silos, runs other processes write).</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    // A burst of round events becomes one batch of changes.
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(200);

    public override Task<ApplicationInformationResponse> GetApplicationInformation(ApplicationInformationRequest request, ServerCallContext context) =>
        Task.FromResult(new ApplicationInformationResponse { ApplicationName = "AgentSwarm" });

    public override async Task WatchResources(WatchResourcesRequest request, IServerStreamWriter<WatchResourcesUpdate> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnChanged() => changed.Writer.TryWrite(true);
        catalog.Board.Changed += OnChanged;
        try
        {
            var sent = new Dictionary<string, Resource>(StringComparer.Ordinal);
            var initial = new InitialResourceData();
            foreach (var resource in (await catalog.SnapshotAsync()).Select(ToResource))
            {
                sent[resource.Name] = resource;
                initial.Resources.Add(resource);
            }

            initial.ResourceTypes.Add(new ResourceType { UniqueName = ResourceCatalog.ConsoleType });
            initial.ResourceTypes.Add(new ResourceType { UniqueName = ResourceCatalog.SiloType });
            initial.ResourceTypes.Add(new ResourceType { UniqueName = ResourceCatalog.RunType });
            await responseStream.WriteAsync(new WatchResourcesUpdate { InitialData = initial }, cancellationToken);

            while (!cancellationToken.IsCancellationRequested)
            {
                using (var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    poll.CancelAfter(PollInterval);
                    try
                    {
                        await changed.Reader.ReadAsync(poll.Token);
                        await Task.Delay(Coalesce, cancellationToken);
                        changed.Reader.TryRead(out _);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // Nothing said it changed: look anyway.
                    }
                }

                var changes = new WatchResourcesChanges();
                var now = (await catalog.SnapshotAsync()).Select(ToResource).ToDictionary(r => r.Name, StringComparer.Ordinal);
                foreach (var resource in now.Values)
                {
                    if (!sent.TryGetValue(resource.Name, out var before) || !before.Equals(resource))
                    {
                        changes.Value.Add(new WatchResourcesChange { Upsert = resource });
                    }
                }

                foreach (var gone in sent.Values.Where(r => !now.ContainsKey(r.Name)))
                {
                    changes.Value.Add(new WatchResourcesChange { Delete = new ResourceDeletion { ResourceName = gone.Name, ResourceType = gone.ResourceType } });
                }

                sent = now;
                if (changes.Value.Count > 0)
                {
                    await responseStream.WriteAsync(new WatchResourcesUpdate { Changes = changes }, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The dashboard went away.
        }
        finally
        {
            catalog.Board.Changed -= OnChanged;
        }
    }

    /// <summary>A run's "console log" is its rounds, one line each, as rounds.jsonl has them, then how it ended.</summary>
    public override async Task WatchResourceConsoleLogs(WatchResourceConsoleLogsRequest request, IServerStreamWriter<WatchResourceConsoleLogsUpdate> responseStream, ServerCallContext context)
    {
        if (!request.ResourceName.StartsWith(ResourceCatalog.RunPrefix, StringComparison.Ordinal))
        {
            return;
        }

        ChannelReader<ConsoleEvent> events;
        try
        {
            events = catalog.Board.Watch(request.ResourceName[ResourceCatalog.RunPrefix.Length..], context.CancellationToken);
        }
        catch (ConsoleProblem ex)
        {
            throw new RpcException(new Status(ex.Status == 404 ? StatusCode.NotFound : StatusCode.InvalidArgument, ex.Message));
        }

        var line = 0;
        try
        {
            while (true)
            {
                // What is there now goes in one update; a follower then waits for more.
                var update = new WatchResourceConsoleLogsUpdate();
                while (events.TryRead(out var message))
                {
                    if (message.Name is "round" or "end")
                    {
                        update.LogLines.Add(new ConsoleLogLine { LineNumber = ++line, Text = $"{message.Name}: {message.Data}" });
                    }
                }

                if (update.LogLines.Count > 0)
                {
                    await responseStream.WriteAsync(update, context.CancellationToken);
                }

                if (request.SuppressFollow || !await events.WaitToReadAsync(context.CancellationToken))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The dashboard closed the log.
        }
    }

    public override async Task<ResourceCommandResponse> ExecuteResourceCommand(ResourceCommandRequest request, ServerCallContext context)
    {
        if (request.ResourceName != ResourceCatalog.ConsoleName || request.CommandName != ResourceCatalog.Start)
        {
            return Answer(await catalog.ExecuteAsync(request.ResourceName, request.CommandName, context.CancellationToken));
        }

        var inputs = request.Arguments.ToDictionary(a => a.Key, a => Text(a.Value), StringComparer.Ordinal);
        var start = inputs.Count == 0 ? default : catalog.CheckStart(inputs);
        if (start.Spec is null)
        {
            if (request.NonInteractive)
            {
                return Answer(new ActionOutcome(ActionResult.InvalidInputs, start.Problems is null
                    ? "give the arguments file (and optionally agents, rounds, seed)"
                    : ResourceCatalog.Describe(start.Problems)));
            }

            // Ask in the dashboard's dialog, showing what was given and what was wrong with it; the last check's run starts.
            var answered = await dialogs.AskAsync(
                "Start a scenario",
                "Launch a scenario file from the console's folder. Empty agents, rounds or seed keep the file's.",
                catalog.StartInputs(),
                inputs,
                start.Problems ?? new Dictionary<string, string[]>(),
                values =>
                {
                    start = catalog.CheckStart(values);
                    return start.Problems;
                },
                context.CancellationToken);
            if (answered is null)
            {
                return new ResourceCommandResponse { Kind = ResourceCommandResponseKind.Cancelled, Message = "the dialog was dismissed: nothing started" };
            }
        }

        return Answer(catalog.StartChecked(start.Spec!, start.Name!));
    }

    public override async Task WatchInteractions(IAsyncStreamReader<WatchInteractionsRequestUpdate> requestStream, IServerStreamWriter<WatchInteractionsResponseUpdate> responseStream, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var updates = dialogs.Subscribe(stop.Token);
        var send = Task.Run(async () =>
        {
            await foreach (var update in updates.ReadAllAsync(stop.Token))
            {
                await responseStream.WriteAsync(update, stop.Token);
            }
        });
        try
        {
            await foreach (var answer in requestStream.ReadAllAsync(stop.Token))
            {
                dialogs.Answer(answer);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The dashboard went away.
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await send;
            }
            catch (OperationCanceledException)
            {
                // Stopped with the call.
            }
        }
    }

    private static ResourceCommandResponse Answer(ActionOutcome outcome)
    {
        var response = new ResourceCommandResponse
        {
            Kind = outcome.Result switch
            {
                ActionResult.Succeeded => ResourceCommandResponseKind.Succeeded,
                ActionResult.InvalidInputs => ResourceCommandResponseKind.InvalidArguments,
                _ => ResourceCommandResponseKind.Failed,
            },
            Message = outcome.Message,
        };
        if (outcome.Result != ActionResult.Succeeded)
        {
            response.ErrorMessage = outcome.Message;
        }

        if (outcome.Markdown is { } markdown)
        {
            response.Result = new ResourceCommandResult { Value = markdown, Format = CommandResultFormat.Markdown, DisplayImmediately = true };
        }

        return response;
    }

    private static string? Text(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => value.StringValue,
        Value.KindOneofCase.NumberValue => value.NumberValue.ToString("R", CultureInfo.InvariantCulture),
        Value.KindOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        _ => null,
    };

    internal static Resource ToResource(ResourceView view)
    {
        var resource = new Resource
        {
            Name = view.Name,
            ResourceType = view.Type,
            DisplayName = view.Name,
            Uid = view.Name,
            State = view.State,
            StateStyle = view.Style,
        };
        if (view.StartedUtc is { } started)
        {
            resource.CreatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(started, DateTimeKind.Utc));
            resource.StartedAt = resource.CreatedAt;
        }

        if (view.StoppedUtc is { } stopped)
        {
            resource.StoppedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(stopped, DateTimeKind.Utc));
        }

        var order = 0;
        foreach (var fact in view.Facts)
        {
            resource.Properties.Add(new ResourceProperty
            {
                Name = "agentswarm." + fact.Name,
                DisplayName = fact.Label,
                Value = fact.Value switch
                {
                    null => Value.ForNull(),
                    string s => Value.ForString(s),
                    bool b => Value.ForBool(b),
                    _ => Value.ForNumber(Convert.ToDouble(fact.Value, CultureInfo.InvariantCulture)),
                },
                IsHighlighted = true,
                SortOrder = order++,
            });
        }

        if (view.Url is { } url)
        {
            resource.Urls.Add(new Url { EndpointName = "console", FullUrl = url, DisplayProperties = new UrlDisplayProperties { DisplayName = "console" } });
        }

        foreach (var action in view.Actions)
        {
            var command = new ResourceCommand
            {
                Name = action.Name,
                DisplayName = action.Label,
                DisplayDescription = action.Description,
                State = action.Availability == ActionAvailability.Enabled ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                IsHighlighted = action.Highlighted,
                IconVariant = IconVariant.Regular,
            };
            if (action.Confirm is { } confirm)
            {
                command.ConfirmationMessage = confirm;
            }

            if (action.Icon is { } icon)
            {
                command.IconName = icon;
            }

            command.ArgumentInputs.AddRange(action.Inputs.Select(i => Input(i, null, null)));
            resource.Commands.Add(command);
        }

        if (view.Parent is { } parent)
        {
            resource.Relationships.Add(new ResourceRelationship { ResourceName = parent, Type = "Parent" });
        }

        return resource;
    }

    internal static InteractionInput Input(ActionInput input, string? value, string[]? problems)
    {
        var item = new InteractionInput
        {
            Name = input.Name,
            Label = input.Label,
            InputType = input.Choices is not null ? InputType.Choice : input.Number ? InputType.Number : InputType.Text,
            Required = input.Required,
            Placeholder = input.Placeholder ?? string.Empty,
            Description = input.Description,
            Value = value ?? string.Empty,
        };
        if (input.Choices is { } choices)
        {
            foreach (var (choice, label) in choices)
            {
                item.Options[choice] = label;
            }
        }

        item.ValidationErrors.AddRange(problems ?? []);
        return item;
    }
}

/// <summary>
/// The dialogs the resource service has open in dashboards: each is shown to every dashboard watching interactions
/// (and to one that connects while it is open), answered by the first to submit it, shown again with the problems
/// when the answer does not check, and closed in all of them when it is done.
/// </summary>
public sealed class DashboardDialogs
{
    /// <summary>How long a command waits for a dashboard to watch interactions before saying none is there.</summary>
    public static TimeSpan WaitForDashboard { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open dialog waits for its answer.</summary>
    public static TimeSpan WaitForAnswer { get; set; } = TimeSpan.FromMinutes(15);

    private const int WatcherCapacity = 256;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, OpenDialog> _open = [];
    private readonly List<ChannelWriter<WatchInteractionsResponseUpdate>> _watchers = [];
    private TaskCompletionSource _watched = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;

    /// <summary>A dashboard's stream of dialogs: those open now, then each shown or closed, until <paramref name="cancellationToken"/>.</summary>
    public ChannelReader<WatchInteractionsResponseUpdate> Subscribe(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<WatchInteractionsResponseUpdate>(new BoundedChannelOptions(WatcherCapacity) { SingleReader = true });
        lock (_gate)
        {
            foreach (var dialog in _open.Values)
            {
                channel.Writer.TryWrite(dialog.Shown);
            }

            _watchers.Add(channel.Writer);
            _watched.TrySetResult();
        }

        cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                _watchers.Remove(channel.Writer);
                if (_watchers.Count == 0)
                {
                    _watched = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    /// <summary>An answer from a dashboard, passed to the dialog it is for (answers to closed dialogs are dropped).</summary>
    public void Answer(WatchInteractionsRequestUpdate answer)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(answer.InteractionId, out var dialog))
            {
                dialog.Answers.Writer.TryWrite(answer);
            }
        }
    }

    /// <summary>
    /// Shows an inputs dialog and waits for answers until one passes <paramref name="check"/>; returns its values by
    /// input name, or null when the dialog is dismissed. Throws <see cref="RpcException"/> when no dashboard watches.
    /// </summary>
    public async Task<Dictionary<string, string?>?> AskAsync(
        string title,
        string message,
        IReadOnlyList<ActionInput> inputs,
        IReadOnlyDictionary<string, string?> values,
        IReadOnlyDictionary<string, string[]> problems,
        Func<IReadOnlyDictionary<string, string?>, IReadOnlyDictionary<string, string[]>> check,
        CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(WaitForAnswer);
        Task watched;
        lock (_gate)
        {
            watched = _watched.Task;
        }

        try
        {
            await watched.WaitAsync(WaitForDashboard, limit.Token);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "no dashboard is watching interactions to show the dialog in: give the command's arguments instead"));
        }

        var id = Interlocked.Increment(ref _nextId);
        var dialog = new OpenDialog();
        Show(id, dialog, Dialog(id, title, message, inputs, values, problems));
        try
        {
            while (true)
            {
                var answer = await dialog.Answers.Reader.ReadAsync(limit.Token);
                if (answer.KindCase == WatchInteractionsRequestUpdate.KindOneofCase.Complete)
                {
                    return null;
                }

                if (answer.KindCase != WatchInteractionsRequestUpdate.KindOneofCase.InputsDialog || answer.ResponseUpdate)
                {
                    continue;
                }

                // Newer dashboards name each item; older ones send them in the order they were shown.
                var given = new Dictionary<string, string?>(StringComparer.Ordinal);
                var items = answer.InputsDialog.InputItems;
                for (var i = 0; i < items.Count; i++)
                {
                    var name = items[i].Name is { Length: > 0 } named ? named : i < inputs.Count ? inputs[i].Name : null;
                    if (name is not null)
                    {
                        given[name] = items[i].Value;
                    }
                }

                var found = check(given);
                if (found.Count == 0)
                {
                    return given;
                }

                Show(id, dialog, Dialog(id, title, message, inputs, given, found));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"the dialog was not answered within {WaitForAnswer.TotalMinutes:0} minutes"));
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(id);
                Broadcast(new WatchInteractionsResponseUpdate { InteractionId = id, Complete = new InteractionComplete() });
            }
        }
    }

    private void Show(int id, OpenDialog dialog, WatchInteractionsResponseUpdate shown)
    {
        lock (_gate)
        {
            dialog.Shown = shown;
            _open[id] = dialog;
            Broadcast(shown);
        }
    }

    private void Broadcast(WatchInteractionsResponseUpdate update) =>
        _watchers.RemoveAll(watcher =>
        {
            if (watcher.TryWrite(update))
            {
                return false;
            }

            // A dashboard that stopped reading: its stream ends, and it reconnects afresh.
            watcher.TryComplete();
            return true;
        });

    private static WatchInteractionsResponseUpdate Dialog(int id, string title, string message, IReadOnlyList<ActionInput> inputs, IReadOnlyDictionary<string, string?> values, IReadOnlyDictionary<string, string[]> problems)
    {
        var dialog = new InteractionInputsDialog();
        dialog.InputItems.AddRange(inputs.Select(i => DashboardResourceService.Input(i, values.GetValueOrDefault(i.Name), problems.GetValueOrDefault(i.Name))));
        return new WatchInteractionsResponseUpdate
        {
            InteractionId = id,
            Title = title,
            Message = message,
            PrimaryButtonText = "Start",
            SecondaryButtonText = "Cancel",
            ShowSecondaryButton = true,
            ShowDismiss = true,
            InputsDialog = dialog,
        };
    }

    private sealed class OpenDialog
    {
        public WatchInteractionsResponseUpdate Shown { get; set; } = new();

        public Channel<WatchInteractionsRequestUpdate> Answers { get; } = Channel.CreateUnbounded<WatchInteractionsRequestUpdate>();
    }
}

/// <summary>Wiring of the resource service into the console's host.</summary>
public static class DashboardResourceServiceSetup
{
    public static IServiceCollection AddDashboardResourceService(this IServiceCollection services)
    {
        // No catch-all routes for services this one is not: gRPC's fallback for an unknown service matches any POST of two
        // segments (POST /api/runs with a body that is not JSON would get its 404 instead of the API's 415).
        services.AddGrpc(options => options.IgnoreUnknownServices = true);
        services.AddSingleton<ResourceCatalog>();
        services.AddSingleton<DashboardDialogs>();
        return services;
    }

    /// <summary>Maps the service. It answers on the endpoint that speaks HTTP/2 without TLS (the resource service's own).</summary>
    public static void MapDashboardResourceService(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGrpcService<DashboardResourceService>();
}
