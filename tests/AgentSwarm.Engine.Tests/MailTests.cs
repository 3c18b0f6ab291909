using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Grains;

namespace AgentSwarm.Engine.Tests;

public sealed class MailTests
{
    [Fact]
    public void InboxesComeOutSortedBySenderWhateverOrderTheBatchesArriveIn()
    {
        // Partition of agents 10..13; mail from two other partitions (senders 0..4 and 20..24) and its own (10..13).
        var room = new Mailroom(10, 4);
        room.Accept(2, Batch((21, 10, "x"), (22, 10, "y"), (24, 13, "z")));
        room.Accept(2, Batch((11, 10, "own"), (12, 13, "own2")));
        room.Accept(2, Batch((0, 10, "first"), (0, 10, "second"), (3, 12, "c")));

        var mail = room.Take(2)!;

        Assert.Equal([(0, "first"), (0, "second"), (11, "own"), (21, "x"), (22, "y")], mail.Of(0).Select(m => (m.From, m.Text)));
        Assert.Empty(mail.Of(1));
        Assert.Equal([(3, "c")], mail.Of(2).Select(m => (m.From, m.Text)));
        Assert.Equal([(12, "own2"), (24, "z")], mail.Of(3).Select(m => (m.From, m.Text)));
        Assert.Null(room.Take(2));
    }

    [Fact]
    public void ABatchIsCopiedInSoItsSenderMayReuseItsBuffersAtOnce()
    {
        var outbox = new Outbox([0, 4, 8]);
        outbox.Add(1, [2, 5], [new OutgoingMessage(2, "to two"), OutgoingMessage.OfNumber(5, 7.5)]);
        var room = new Mailroom(4, 4);
        room.Accept(1, outbox.Take(1)!);

        // The sender's next step writes over the same buffers.
        outbox.Reset();
        outbox.Add(3, [6], [new OutgoingMessage(6, "later")]);

        var inbox = room.Take(1)!.Of(1);
        Assert.Equal(1, inbox.Length);
        Assert.Equal(new InboxMessage(1, "7.5", 7.5), inbox[0]);
        Assert.Null(inbox[0].WrittenText);
        Assert.Equal(1, outbox.Delivered);
    }

    [Fact]
    public void TheOutboxRefusesMailOffTheSendersEdgesAndGroupsTheRestByPartition()
    {
        // Partition 1 is empty: bounds 0, 3, 3, 6.
        var outbox = new Outbox([0, 3, 3, 6]);
        outbox.Add(0, [1, 3, 5], [new(1, "a"), new(3, "b"), new(4, "not a neighbour"), new(5, "c")]);

        Assert.Equal(3, outbox.Delivered);
        Assert.Equal(1, outbox.Dropped);
        Assert.Equal([1], outbox.Take(0)!.To);
        Assert.Null(outbox.Take(1));
        Assert.Equal([3, 5], outbox.Take(2)!.To);

        var all = outbox.All();
        Assert.Equal(["a", "b", "c"], all.Text.Select(t => t!));
        Assert.Equal(3, all.From.Array!.Length);

        outbox.Reset();
        Assert.Null(outbox.Take(0));
        Assert.Equal(0, outbox.Delivered);
        Assert.Equal(0, outbox.Dropped);
    }

    [Fact]
    public void MailOfAnEarlierRoundIsDroppedAndItsBufferServesTheNext()
    {
        var room = new Mailroom(0, 2);
        room.Accept(3, Batch((5, 0, "stale")));
        room.Accept(4, Batch((6, 1, "fresh")));

        var mail = room.Take(4)!;
        Assert.Empty(mail.Of(0));
        Assert.Equal("fresh", mail.Of(1)[0].Text);
        Assert.Null(room.Take(3));

        room.Accept(5, Batch((7, 0, "next")));
        var next = room.Take(5)!;
        Assert.Equal("next", next.Of(0)[0].Text);
        Assert.Empty(next.Of(1));
    }

    [Fact]
    public void SortingByASenderKeepsEachSendersMessagesInOrderInLongInboxesToo()
    {
        foreach (var length in new[] { 5, 100 })
        {
            var inbox = Enumerable.Range(0, length).Select(k => new InboxMessage((length - k) % 7, $"m{k}")).ToArray();
            Mailroom.SortBySender(inbox);

            var expected = Enumerable.Range(0, length).Select(k => ((length - k) % 7, $"m{k}")).OrderBy(m => m.Item1).ToArray();
            Assert.Equal(expected, inbox.Select(m => (m.From, m.Text)));
        }
    }

    [Fact]
    public void AMessageThatIsItsNumberReadsAsItsRoundTripText()
    {
        var message = OutgoingMessage.OfNumber(3, 0.1 + 0.2);

        Assert.Null(message.WrittenText);
        Assert.Equal("0.30000000000000004", message.Text);
        Assert.Equal(new OutgoingMessage(3, "0.30000000000000004", 0.1 + 0.2), message);
        Assert.NotEqual(new OutgoingMessage(3, "0.3", 0.1 + 0.2), message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OutgoingMessage.OfNumber(3, double.NaN));
        Assert.Throws<ArgumentNullException>(() => new InboxMessage(1, null));
        Assert.Equal("2.5", new InboxMessage(1, null, 2.5).Text);
    }

    private static MessageBatch Batch(params (int From, int To, string Text)[] messages) =>
        new(messages.Select(m => m.From).ToArray(), messages.Select(m => m.To).ToArray(), messages.Select(m => (string?)m.Text).ToArray(), messages.Select(_ => double.NaN).ToArray());
}

public sealed class MailStorageTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void ACheckpointsMailReadsBackFromGrainStorage(int messages)
    {
        var outbox = new Outbox([0, 2, 4]);
        for (var m = 0; m < messages; m++)
        {
            outbox.Add(0, [1, 3], [new OutgoingMessage(1 + (2 * (m % 2)), $"m{m}"), OutgoingMessage.OfNumber(1, m + 0.5)]);
        }

        var checkpoint = new PartitionCheckpoint { Round = 4, Minds = [1, 2], MindOffsets = [0, 1, 2], Idle = [false, true], IdleNumbers = [0, 1], IdleTexts = [null, "x"], Sent = outbox.All() };
        var serializer = new Orleans.Storage.OrleansGrainStorageSerializer(
            new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Orleans.Serialization.Serializer>());

        var read = serializer.Deserialize<PartitionCheckpoint>(serializer.Serialize(checkpoint))!;

        Assert.Equal(4, read.Round);
        Assert.Equal(2 * messages, read.Sent!.Count);

        // An empty segment reads back without an array: read the columns as spans, as the partition does.
        Assert.Equal(checkpoint.Sent!.From.AsSpan().ToArray(), read.Sent!.From.AsSpan().ToArray());
        Assert.Equal(checkpoint.Sent.To.AsSpan().ToArray(), read.Sent.To.AsSpan().ToArray());
        Assert.Equal(checkpoint.Sent.Text.AsSpan().ToArray(), read.Sent.Text.AsSpan().ToArray());
        Assert.Equal(checkpoint.Sent.Numbers.AsSpan().ToArray(), read.Sent.Numbers.AsSpan().ToArray());
    }
}
