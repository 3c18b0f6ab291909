using AgentSwarm.Abstractions;
using Xunit;

namespace AgentSwarm.Tests.Shared;

/// <summary>Two runs that must agree bit for bit (packed and grain hosting, one silo and three): their rounds compared.</summary>
public static class SameRounds
{
    /// <summary>A log spec with no folder: nothing is written, but partitions hash every agent's action and messages.</summary>
    public static readonly RunLogSpec HashOnly = new(Directory: null);

    /// <summary>Every round's state hash (non-zero, so there is something to compare), counters and statistics, to the bit.</summary>
    public static void Assert(RoundResult[] expected, RoundResult[] actual, string where)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (var r = 0; r < expected.Length; r++)
        {
            var e = expected[r];
            var a = actual[r];
            Xunit.Assert.True(e.StateHash != 0, $"{where}: round {r + 1} has no state hash to compare");
            Xunit.Assert.True(e.StateHash == a.StateHash, $"{where}: round {r + 1} state hash {e.StateHash:x16} vs {a.StateHash:x16}");
            Xunit.Assert.Equal(e.AgentSteps, a.AgentSteps);
            Xunit.Assert.Equal(e.Messages, a.Messages);
            Xunit.Assert.Equal(e.DroppedMessages, a.DroppedMessages);
            var ec = e.Stats.Columns();
            var ac = a.Stats.Columns();
            Xunit.Assert.Equal(ec.Count, ac.Count);
            for (var i = 0; i < ec.Count; i++)
            {
                Xunit.Assert.True(
                    BitConverter.DoubleToInt64Bits(ec[i].Value) == BitConverter.DoubleToInt64Bits(ac[i].Value),
                    $"{where}: round {r + 1} {ec[i].Key}: {ec[i].Value:R} vs {ac[i].Value:R}");
            }
        }
    }
}
