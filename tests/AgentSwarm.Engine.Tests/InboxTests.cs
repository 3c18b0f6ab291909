using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Engine.Tests;

public sealed class InboxTests
{
    [Fact]
    public void AnInboxIsItsSliceOfThePartitionsMailAndNothingBeyond()
    {
        InboxMessage[] mail = [new(1, "a"), new(2, "b", 2), new(3, "c"), new(4, "d")];
        var inbox = new Inbox(mail, 1, 2);

        Assert.Equal(2, inbox.Length);
        Assert.Equal(new InboxMessage(2, "b", 2), inbox[0]);
        Assert.Equal(new InboxMessage(3, "c"), inbox[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => inbox[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => inbox[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Inbox(mail, 3, 2));

        var read = new List<int>();
        foreach (var message in inbox)
        {
            read.Add(message.From);
        }

        Assert.Equal([2, 3], read);
        Assert.Equal(["b", "c"], inbox.Select(m => m.Text));
        Assert.Equal(mail[1..3], inbox.ToArray());
    }

    [Fact]
    public void AnEmptyInboxReadsAsEmptyHoweverItIsMade()
    {
        Inbox none = [];
        Inbox fromArray = Array.Empty<InboxMessage>();
        foreach (var inbox in new[] { none, fromArray, default })
        {
            Assert.Equal(0, inbox.Length);
            Assert.Empty(inbox);
            Assert.Empty(inbox.ToArray());
        }

        Inbox two = [new(5, "x"), new(6, "y")];
        Assert.Equal([5, 6], two.Select(m => m.From));
    }
}
