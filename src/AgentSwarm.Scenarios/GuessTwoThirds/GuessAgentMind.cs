using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>
/// A guess-2/3 player: a level-k reasoner (level 0 guesses uniformly; level k answers f^k(anchor) with
/// f(x) = offset + ratio x x, anchored at max/2 in round 1 and at the previous target after), or an adaptive
/// player who moves from its last guess toward the last target. Both add Gaussian noise.
/// </summary>
public sealed class GuessAgentMind : IAgentMind
{
    private readonly GuessTwoThirdsConfig _config;
    private readonly MemoryEntry[] _memory;
    private int _remembered;

    public GuessAgentMind(GuessTwoThirdsConfig config, ulong seed, int index)
    {
        _config = config;
        var rng = AgentRandom.For(seed, index, round: 0);
        Level = (byte)Draw(config.LevelWeights, rng.NextDouble());
        Adaptive = rng.NextDouble() < config.AdaptiveShare;
        _memory = new MemoryEntry[config.Memory];
    }

    /// <summary>The agent's reasoning depth k.</summary>
    public int Level { get; }

    /// <summary>Whether the agent adapts toward the last target instead of reasoning k levels deep.</summary>
    public bool Adaptive { get; }

    /// <summary>The agent's last valid guess (NaN before its first).</summary>
    public double LastGuess { get; private set; } = double.NaN;

    public AgentDecision Heuristic(AgentTurn turn)
    {
        var rng = turn.Random();
        if (TryMalformed(ref rng, out var malformed))
        {
            return Decide(turn, malformed);
        }

        var previous = (turn.Context.Broadcast as GuessBroadcast)?.PreviousTarget;
        var anchor = previous ?? _config.Max / 2;
        double guess;
        if (Adaptive && previous is { } target && !double.IsNaN(LastGuess))
        {
            var expected = target;
            if (_config.Messaging == GuessMessaging.Neighbours && NeighbourMean(turn.Inbox) is { } heard)
            {
                expected = (1 - _config.SocialWeight) * target + _config.SocialWeight * _config.TargetFor(heard);
            }

            guess = LastGuess + _config.AdaptRate * (expected - LastGuess);
        }
        else if (Level == 0)
        {
            guess = rng.NextDouble() * _config.Max;
        }
        else
        {
            guess = anchor;
            for (var k = 0; k < Level; k++)
            {
                guess = _config.TargetFor(guess);
            }
        }

        guess += _config.Noise * rng.NextGaussian();
        return Decide(turn, Math.Clamp(guess, 0, _config.Max));
    }

    public AgentDecision Random(AgentTurn turn)
    {
        var rng = turn.Random();
        return TryMalformed(ref rng, out var malformed)
            ? Decide(turn, malformed)
            : Decide(turn, rng.NextDouble() * _config.Max);
    }

    public void Remember(AgentTurn turn, AgentDecision decision)
    {
        var guess = decision.Action.Number;
        if (IsValid(guess))
        {
            LastGuess = guess;
        }

        var entry = new MemoryEntry(
            turn.Round,
            (float)guess,
            (float)((turn.Context.Broadcast as GuessBroadcast)?.PreviousTarget ?? double.NaN),
            (float)(NeighbourMean(turn.Inbox) ?? double.NaN),
            turn.Inbox.Length);
        _memory[_remembered % _memory.Length] = entry;
        _remembered++;
    }

    public string[] DescribeMemory()
    {
        var count = Math.Min(_remembered, _memory.Length);
        var lines = new string[count];
        for (var i = 0; i < count; i++)
        {
            var e = _memory[(_remembered - count + i) % _memory.Length];
            lines[i] = string.Create(
                CultureInfo.InvariantCulture,
                $"round {e.Round}: told target {e.PreviousTarget:G6}, heard {e.Heard} (mean {e.NeighbourMean:G6}), guessed {e.Guess:G6}");
        }

        return lines;
    }

    private bool IsValid(double guess) => guess >= 0 && guess <= _config.Max;

    /// <summary>Some answers are garbage (configured share): half unparseable, half out of range.</summary>
    private bool TryMalformed(ref AgentRandom rng, out double value)
    {
        value = 0;
        if (_config.InvalidShare <= 0 || rng.NextDouble() >= _config.InvalidShare)
        {
            return false;
        }

        value = rng.NextDouble() < 0.5 ? double.NaN : _config.Max * (1 + rng.NextDouble()) + 1;
        return true;
    }

    private AgentDecision Decide(AgentTurn turn, double guess)
    {
        if (_config.Messaging != GuessMessaging.Neighbours || turn.Neighbours.Length == 0 || !IsValid(guess))
        {
            return new AgentDecision(new AgentAction(guess));
        }

        var text = guess.ToString("R", CultureInfo.InvariantCulture);
        var outgoing = new OutgoingMessage[turn.Neighbours.Length];
        for (var i = 0; i < outgoing.Length; i++)
        {
            outgoing[i] = new OutgoingMessage(turn.Neighbours[i], text);
        }

        return new AgentDecision(new AgentAction(guess), outgoing);
    }

    private static double? NeighbourMean(InboxMessage[] inbox)
    {
        double sum = 0;
        var count = 0;
        foreach (var message in inbox)
        {
            if (double.TryParse(message.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            {
                sum += value;
                count++;
            }
        }

        return count == 0 ? null : sum / count;
    }

    private static int Draw(double[] weights, double u)
    {
        var total = 0.0;
        foreach (var w in weights)
        {
            total += w;
        }

        var x = u * total;
        for (var k = 0; k < weights.Length; k++)
        {
            x -= weights[k];
            if (x < 0)
            {
                return k;
            }
        }

        return weights.Length - 1;
    }

    // Single precision: memory is for recall and inspection (the exact last guess is kept apart), and a million agents x memory adds up.
    private readonly record struct MemoryEntry(int Round, float Guess, float PreviousTarget, float NeighbourMean, int Heard);
}
