using AgentSwarm.Web.Aspire.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentSwarm.Web.Tests;

/// <summary>
/// The Aspire dashboard's side of the resource service, played by a gRPC client generated from the same contract: it
/// watches resources, answers the start command's dialog, and runs the commands on runs, over a real HTTP/2 socket.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ResourceServiceTests(ConsoleFixture console) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(console.Server.ResourceServiceAddress!);

    private DashboardService.DashboardServiceClient Client => new(_channel);

    [Fact]
    public async Task TheDashboardStartsAScenarioThroughItsDialogSeesTheRunFinishAndReplaysIt()
    {
        using var timeout = new CancellationTokenSource(Limit);
        var info = await Client.GetApplicationInformationAsync(new ApplicationInformationRequest());
        Assert.Equal("AgentSwarm", info.ApplicationName);

        using var watch = new ResourceWatch(Client, timeout.Token);
        var initial = await watch.InitialAsync();
        Assert.Contains(initial.ResourceTypes, t => t.UniqueName == ResourceCatalog.RunType);
        var consoleResource = Assert.Single(initial.Resources, r => r.Name == ResourceCatalog.ConsoleName);
        Assert.Equal(console.Address + "/", consoleResource.Urls.Single().FullUrl);
        var start = Assert.Single(consoleResource.Commands, c => c.Name == ResourceCatalog.Start);
        Assert.Equal(["file", "agents", "rounds", "seed"], start.ArgumentInputs.Select(i => i.Name));
        Assert.Contains("guess-two-thirds.yaml", start.ArgumentInputs[0].Options.Keys);
        var silo = Assert.Single(initial.Resources, r => r.ResourceType == ResourceCatalog.SiloType);
        Assert.Equal("Running", silo.State);

        // The dashboard watches interactions, then runs the command without arguments: the service asks in a dialog.
        using var interactions = Client.WatchInteractions(cancellationToken: timeout.Token);
        var execution = Client.ExecuteResourceCommandAsync(
            new ResourceCommandRequest { CommandName = ResourceCatalog.Start, ResourceName = ResourceCatalog.ConsoleName, ResourceType = ResourceCatalog.ConsoleType },
            cancellationToken: timeout.Token);
        var dialog = await NextAsync(interactions.ResponseStream, timeout.Token);
        Assert.Equal(WatchInteractionsResponseUpdate.KindOneofCase.InputsDialog, dialog.KindCase);
        Assert.Equal("Start a scenario", dialog.Title);
        Assert.Equal(["file", "agents", "rounds", "seed"], dialog.InputsDialog.InputItems.Select(i => i.Name));
        Assert.Equal(InputType.Choice, dialog.InputsDialog.InputItems[0].InputType);

        // A value that is not a number comes back in the same dialog, with the problem on its input.
        await interactions.RequestStream.WriteAsync(Answer(dialog, ("file", "guess-two-thirds.yaml"), ("agents", "three hundred"), ("rounds", "4"), ("seed", "11")), timeout.Token);
        var again = await NextAsync(interactions.ResponseStream, timeout.Token);
        Assert.Equal(dialog.InteractionId, again.InteractionId);
        Assert.Equal(WatchInteractionsResponseUpdate.KindOneofCase.InputsDialog, again.KindCase);
        Assert.Contains("'three hundred' is not a whole number", Assert.Single(again.InputsDialog.InputItems.Single(i => i.Name == "agents").ValidationErrors), StringComparison.Ordinal);
        Assert.Empty(again.InputsDialog.InputItems.Single(i => i.Name == "file").ValidationErrors);
        Assert.False(execution.ResponseAsync.IsCompleted);

        await interactions.RequestStream.WriteAsync(Answer(again, ("file", "guess-two-thirds.yaml"), ("agents", "300"), ("rounds", "4"), ("seed", "11")), timeout.Token);
        var closed = await NextAsync(interactions.ResponseStream, timeout.Token);
        Assert.Equal(dialog.InteractionId, closed.InteractionId);
        Assert.Equal(WatchInteractionsResponseUpdate.KindOneofCase.Complete, closed.KindCase);

        var started = await execution;
        Assert.Equal(ResourceCommandResponseKind.Succeeded, started.Kind);
        var id = RunId(started.Message);

        // The run appears and finishes, with what the dialog asked for.
        var finished = await watch.WaitForAsync(ResourceCatalog.RunPrefix + id, r => r.State == "Finished");
        Assert.Equal(ResourceCatalog.RunType, finished.ResourceType);
        Assert.Equal("success", finished.StateStyle);
        Assert.Equal(300, Property(finished, "agents").NumberValue);
        Assert.Equal("4 / 4", Property(finished, "rounds").StringValue);
        Assert.Equal($"{console.Address}/#/runs/{id}", finished.Urls.Single().FullUrl);
        Assert.Equal(ResourceCatalog.ConsoleName, finished.Relationships.Single().ResourceName);
        Assert.Equal(ResourceCommandState.Disabled, finished.Commands.Single(c => c.Name == ResourceCatalog.Cancel).State);
        Assert.Equal(ResourceCommandState.Enabled, finished.Commands.Single(c => c.Name == ResourceCatalog.Replay).State);
        Assert.NotNull(finished.StoppedAt);

        // Its console log is its rounds, then how it ended.
        var lines = new List<ConsoleLogLine>();
        using (var logs = Client.WatchResourceConsoleLogs(new WatchResourceConsoleLogsRequest { ResourceName = finished.Name, SuppressFollow = true }, cancellationToken: timeout.Token))
        {
            await foreach (var update in logs.ResponseStream.ReadAllAsync(timeout.Token))
            {
                lines.AddRange(update.LogLines);
            }
        }

        Assert.Equal([1, 2, 3, 4, 5], lines.Select(l => l.LineNumber));
        Assert.All(lines.Take(4), l => Assert.StartsWith("round: {", l.Text, StringComparison.Ordinal));
        Assert.StartsWith("end: {", lines[4].Text, StringComparison.Ordinal);

        var replay = await Client.ExecuteResourceCommandAsync(new ResourceCommandRequest { CommandName = ResourceCatalog.Replay, ResourceName = finished.Name, ResourceType = ResourceCatalog.RunType }, cancellationToken: timeout.Token);
        Assert.Equal(ResourceCommandResponseKind.Succeeded, replay.Kind);
        Assert.Equal("verified: all 4 rounds match the recording", replay.Message);
        Assert.Equal(CommandResultFormat.Markdown, replay.Result.Format);
        Assert.Contains("| 4 |", replay.Result.Value, StringComparison.Ordinal);

        var cancel = await Client.ExecuteResourceCommandAsync(new ResourceCommandRequest { CommandName = ResourceCatalog.Cancel, ResourceName = finished.Name, ResourceType = ResourceCatalog.RunType }, cancellationToken: timeout.Token);
        Assert.Equal(ResourceCommandResponseKind.Failed, cancel.Kind);
        Assert.Contains("is not running", cancel.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADismissedDialogStartsNothing()
    {
        using var timeout = new CancellationTokenSource(Limit);
        var before = console.Server.Runs.List().Count;
        using var interactions = Client.WatchInteractions(cancellationToken: timeout.Token);
        var execution = Client.ExecuteResourceCommandAsync(
            new ResourceCommandRequest { CommandName = ResourceCatalog.Start, ResourceName = ResourceCatalog.ConsoleName, ResourceType = ResourceCatalog.ConsoleType },
            cancellationToken: timeout.Token);
        var dialog = await NextAsync(interactions.ResponseStream, timeout.Token);
        await interactions.RequestStream.WriteAsync(new WatchInteractionsRequestUpdate { InteractionId = dialog.InteractionId, Complete = new InteractionComplete() }, timeout.Token);
        var response = await execution;
        Assert.Equal(ResourceCommandResponseKind.Cancelled, response.Kind);
        Assert.Equal(WatchInteractionsResponseUpdate.KindOneofCase.Complete, (await NextAsync(interactions.ResponseStream, timeout.Token)).KindCase);
        Assert.Equal(before, console.Server.Runs.List().Count);
    }

    [Fact]
    public async Task ArgumentsStartARunWithoutADialogAndTheRunIsCancelledAndResumedByItsCommands()
    {
        using var timeout = new CancellationTokenSource(Limit);
        File.WriteAllText(Path.Combine(console.Scenarios, "resource-slow.yaml"), "scenario: guess-two-thirds\nagents: 200\nrounds: 400\npolicy:\n  name: dummy-latency\n  latency: 100ms\n");

        // Without a dialog, a bad argument is named, and nothing starts.
        var missing = await StartAsync(non: true, ("file", Value.ForString("no-such.yaml")));
        Assert.Equal(ResourceCommandResponseKind.InvalidArguments, missing.Kind);
        Assert.Contains("file: no scenario 'no-such.yaml'", missing.Message, StringComparison.Ordinal);
        var negative = await StartAsync(non: true, ("file", Value.ForString("resource-slow.yaml")), ("agents", Value.ForNumber(-5)));
        Assert.Equal(ResourceCommandResponseKind.InvalidArguments, negative.Kind);
        Assert.StartsWith("agents: '-5' is not a whole number", negative.Message, StringComparison.Ordinal);
        var none = await StartAsync(non: true);
        Assert.Equal(ResourceCommandResponseKind.InvalidArguments, none.Kind);

        using var watch = new ResourceWatch(Client, timeout.Token);
        await watch.InitialAsync();
        var started = await StartAsync(non: true, ("file", Value.ForString("resource-slow.yaml")), ("rounds", Value.ForNumber(300)));
        Assert.Equal(ResourceCommandResponseKind.Succeeded, started.Kind);
        var name = ResourceCatalog.RunPrefix + RunId(started.Message);

        var running = await watch.WaitForAsync(name, r => r.State == "Running" && Property(r, "rounds").StringValue != "0 / 300");
        Assert.Equal(ResourceCommandState.Enabled, running.Commands.Single(c => c.Name == ResourceCatalog.Cancel).State);
        Assert.Equal($"Cancel run {name[ResourceCatalog.RunPrefix.Length..]}?", running.Commands.Single(c => c.Name == ResourceCatalog.Cancel).ConfirmationMessage);
        Assert.Equal(ResourceCommandState.Disabled, running.Commands.Single(c => c.Name == ResourceCatalog.Resume).State);

        Assert.Equal(ResourceCommandResponseKind.Succeeded, (await RunCommandAsync(name, ResourceCatalog.Cancel)).Kind);
        var cancelled = await watch.WaitForAsync(name, r => r.State == "Cancelled");
        Assert.Equal(ResourceCommandState.Enabled, cancelled.Commands.Single(c => c.Name == ResourceCatalog.Resume).State);
        var roundsAtCancel = int.Parse(Property(cancelled, "rounds").StringValue.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(roundsAtCancel, 1, 299);

        Assert.Equal(ResourceCommandResponseKind.Succeeded, (await RunCommandAsync(name, ResourceCatalog.Resume)).Kind);
        var resumed = await watch.WaitForAsync(name, r => r.State == "Running"
            && int.Parse(Property(r, "rounds").StringValue.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) > roundsAtCancel);
        Assert.Equal("guess-two-thirds", Property(resumed, "scenario").StringValue);
        Assert.Equal(ResourceCommandResponseKind.Succeeded, (await RunCommandAsync(name, ResourceCatalog.Cancel)).Kind);
        await watch.WaitForAsync(name, r => r.State == "Cancelled");
        await console.Server.Runs.WhenIdleAsync();
    }

    [Fact]
    public async Task WithATokenTheServiceNeedsItAsTheDashboardsApiKey()
    {
        var root = Path.Combine(Path.GetTempPath(), "agentswarm-rs-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = await ConsoleFixture.StartAsync(new ConsoleOptions { Urls = "http://127.0.0.1:0", ResourceService = "http://127.0.0.1:0", Token = "api-key-1", Scenarios = root, Runs = root });
        Assert.DoesNotContain(server.ResourceServiceAddress, server.Addresses);
        using var channel = GrpcChannel.ForAddress(server.ResourceServiceAddress!);
        var client = new DashboardService.DashboardServiceClient(channel);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.GetApplicationInformationAsync(new ApplicationInformationRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => client.GetApplicationInformationAsync(new ApplicationInformationRequest(), new Metadata { { ConsoleAccess.ResourceServiceKeyHeader, "api-key-2" } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        var info = await client.GetApplicationInformationAsync(new ApplicationInformationRequest(), new Metadata { { ConsoleAccess.ResourceServiceKeyHeader, "api-key-1" } });
        Assert.Equal("AgentSwarm", info.ApplicationName);
    }

    [Fact]
    public async Task AResourceServiceAddressThatIsNotOneIsRefused()
    {
        var problem = await Assert.ThrowsAsync<ConsoleProblem>(() => ConsoleFixture.StartAsync(new ConsoleOptions { Urls = "http://127.0.0.1:0", ResourceService = "grpc://127.0.0.1:1" }));
        Assert.StartsWith("--resource-service: 'grpc://127.0.0.1:1' is not an http:// or https:// address", problem.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _channel.Dispose();

    private Task<ResourceCommandResponse> StartAsync(bool non, params (string Name, Value Value)[] arguments)
    {
        var request = new ResourceCommandRequest { CommandName = ResourceCatalog.Start, ResourceName = ResourceCatalog.ConsoleName, ResourceType = ResourceCatalog.ConsoleType, NonInteractive = non };
        foreach (var (name, value) in arguments)
        {
            request.Arguments[name] = value;
        }

        return Client.ExecuteResourceCommandAsync(request).ResponseAsync;
    }

    private Task<ResourceCommandResponse> RunCommandAsync(string resource, string command) =>
        Client.ExecuteResourceCommandAsync(new ResourceCommandRequest { CommandName = command, ResourceName = resource, ResourceType = ResourceCatalog.RunType }).ResponseAsync;

    private static string RunId(string message)
    {
        Assert.StartsWith("started run ", message, StringComparison.Ordinal);
        return message["started run ".Length..].Split(':')[0];
    }

    private static Value Property(Resource resource, string name) =>
        resource.Properties.Single(p => p.Name == "agentswarm." + name).Value;

    private static WatchInteractionsRequestUpdate Answer(WatchInteractionsResponseUpdate dialog, params (string Name, string Value)[] values)
    {
        var answer = new WatchInteractionsRequestUpdate { InteractionId = dialog.InteractionId, InputsDialog = new InteractionInputsDialog() };
        foreach (var item in dialog.InputsDialog.InputItems)
        {
            var filled = item.Clone();
            filled.ValidationErrors.Clear();
            filled.Value = values.FirstOrDefault(v => v.Name == item.Name).Value ?? string.Empty;
            answer.InputsDialog.InputItems.Add(filled);
        }

        return answer;
    }

    private static async Task<T> NextAsync<T>(IAsyncStreamReader<T> stream, CancellationToken cancellationToken)
    {
        Assert.True(await stream.MoveNext(cancellationToken), "the stream ended");
        return stream.Current;
    }

    /// <summary>A dashboard's view of the resources: the initial data, then every change applied as it arrives.</summary>
    private sealed class ResourceWatch(DashboardService.DashboardServiceClient client, CancellationToken cancellationToken) : IDisposable
    {
        private readonly AsyncServerStreamingCall<WatchResourcesUpdate> _call = client.WatchResources(new WatchResourcesRequest(), cancellationToken: cancellationToken);
        private readonly Dictionary<string, Resource> _resources = new(StringComparer.Ordinal);

        public async Task<InitialResourceData> InitialAsync()
        {
            var first = await NextAsync(_call.ResponseStream, cancellationToken);
            Assert.Equal(WatchResourcesUpdate.KindOneofCase.InitialData, first.KindCase);
            foreach (var resource in first.InitialData.Resources)
            {
                _resources[resource.Name] = resource;
            }

            return first.InitialData;
        }

        /// <summary>Reads changes until the resource satisfies <paramref name="condition"/> (the test's timeout bounds it).</summary>
        public async Task<Resource> WaitForAsync(string name, Func<Resource, bool> condition)
        {
            while (!(_resources.TryGetValue(name, out var resource) && condition(resource)))
            {
                var update = await NextAsync(_call.ResponseStream, cancellationToken);
                Assert.Equal(WatchResourcesUpdate.KindOneofCase.Changes, update.KindCase);
                foreach (var change in update.Changes.Value)
                {
                    if (change.KindCase == WatchResourcesChange.KindOneofCase.Upsert)
                    {
                        _resources[change.Upsert.Name] = change.Upsert;
                    }
                    else
                    {
                        _resources.Remove(change.Delete.ResourceName);
                    }
                }
            }

            return _resources[name];
        }

        public void Dispose() => _call.Dispose();
    }
}
