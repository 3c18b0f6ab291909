using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.GuessTwoThirds;

/// <summary>
/// A guess-2/3 player: a level-k reasoner (level 0 guesses uniformly; level k answers f^k(anchor) with
/// f(x) = offset + ratio x x, anchored at max/2 in round 1 and at the previous target after), or an adaptive
/// player who moves from its last guess toward the last target. Both add Gaussian noise.
/// </summary>
public sealed class GuessAgentMind : ILlmAgentMind
{
    private readonly GuessTwoThirdsConfig _config;
    private readonly MemoryEntry[] _memory;
    private readonly byte[]? _persona;
    private int _remembered;

    public GuessAgentMind(GuessTwoThirdsConfig config, ulong seed, int index)
    {
        _config = config;
        var rng = AgentRandom.For(seed, index, round: 0);
        Level = (byte)Draw(config.LevelWeights, rng.NextDouble());
        Adaptive = rng.NextDouble() < config.AdaptiveShare;
        _memory = new MemoryEntry[config.Memory];
        _persona = config.Llm?.Personas?.Draw(seed, index);
    }

    /// <summary>The agent's persona text ("" without personas).</summary>
    public string Persona => _persona is null ? string.Empty : _config.LlmOrDefault.Personas!.Describe(_persona);

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

    /// <summary>
    /// AgentScope's protocol: the answer call (directly or step by step) over the agent's memory of earlier rounds,
    /// then the extraction call. A failed call or an answer with no number gives no valid guess (dropped and counted).
    /// </summary>
    public async ValueTask<AgentDecision> DecideWithLlmAsync(AgentTurn turn, ILlmClient llm, CancellationToken cancellationToken)
    {
        var prompts = _config.LlmOrDefault;
        var spec = turn.Context.Policy.Llm!;
        var previousTarget = (turn.Context.Broadcast as GuessBroadcast)?.PreviousTarget ?? double.NaN;
        double[] rules = [previousTarget, _config.Max, _config.Ratio, _config.Offset];
        var answer = await llm.CompleteAsync(
            new LlmRequest(Conversation(turn), spec.Temperature, spec.MaxOutputTokens, null,
                new LlmHint(prompts.Mode == GuessAnswerMode.Directly ? "guess.answer.directly" : "guess.answer.step-by-step", turn.Index, turn.Round, rules)),
            cancellationToken);
        if (!answer.Ok)
        {
            return Decide(turn, double.NaN);
        }

        // Extraction is a deterministic reading task: temperature 0, so equal answers are asked once (cache).
        var extraction = await llm.CompleteAsync(
            new LlmRequest(
                [new LlmMessage(LlmRole.System, GuessPrompts.For(_config).Extract), new LlmMessage(LlmRole.User, answer.Text ?? string.Empty)],
                0,
                16,
                null,
                new LlmHint("guess.extract", turn.Index, turn.Round, rules),
                Priority: 1),
            cancellationToken);
        return Decide(turn, extraction.Ok ? GuessLlmConfig.ParseNumber(extraction.Text) : double.NaN);
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

    public void Save(BinaryWriter writer)
    {
        writer.Write(LastGuess);
        writer.Write(_remembered);
        var count = Math.Min(_remembered, _memory.Length);
        for (var i = 0; i < count; i++)
        {
            var e = _memory[(_remembered - count + i) % _memory.Length];
            writer.Write(e.Round);
            writer.Write(e.Guess);
            writer.Write(e.PreviousTarget);
            writer.Write(e.NeighbourMean);
            writer.Write(e.Heard);
        }
    }

    public void Restore(BinaryReader reader)
    {
        LastGuess = reader.ReadDouble();
        _remembered = reader.ReadInt32();
        var count = Math.Min(_remembered, _memory.Length);
        for (var i = 0; i < count; i++)
        {
            _memory[(_remembered - count + i) % _memory.Length] = new MemoryEntry(
                reader.ReadInt32(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadInt32());
        }
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

    private static string Format(double value) => GuessPrompts.Format(value);

    /// <summary>System prompt, then one exchange per remembered round (question, the agent's number), then this round's question.</summary>
    private LlmMessage[] Conversation(AgentTurn turn)
    {
        var texts = GuessPrompts.For(_config);
        var count = Math.Min(_remembered, _memory.Length);
        var messages = new LlmMessage[2 + (2 * count)];
        messages[0] = new LlmMessage(LlmRole.System, texts.System(turn.Context.Agents, turn.Context.Rounds, Persona));
        string? feedback = null;
        for (var i = 0; i < count; i++)
        {
            var e = _memory[(_remembered - count + i) % _memory.Length];
            messages[1 + (2 * i)] = new LlmMessage(LlmRole.User, texts.Question(feedback, e.Round));
            messages[2 + (2 * i)] = new LlmMessage(LlmRole.Assistant, Format(e.Guess));
            var target = i + 1 < count ? _memory[(_remembered - count + i + 1) % _memory.Length].PreviousTarget : (float)((turn.Context.Broadcast as GuessBroadcast)?.PreviousTarget ?? double.NaN);
            feedback = texts.Feedback(e.Round, e.Guess, target);
        }

        messages[^1] = new LlmMessage(LlmRole.User, texts.Question(feedback, turn.Round));
        return messages;
    }

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

        // The guess is the message; its text ("R", as before) is made only if someone reads it (the log, a view).
        var outgoing = new OutgoingMessage[turn.Neighbours.Length];
        for (var i = 0; i < outgoing.Length; i++)
        {
            outgoing[i] = OutgoingMessage.OfNumber(turn.Neighbours[i], guess);
        }

        return new AgentDecision(new AgentAction(guess), outgoing);
    }

    private static double? NeighbourMean(Inbox inbox)
    {
        double sum = 0;
        var count = 0;
        foreach (var message in inbox)
        {
            // The sender's number rides with its text (the same value, "R" round-trips); a message from the log has text only.
            var value = message.Number;
            if (double.IsNaN(value) && !double.TryParse(message.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            {
                continue;
            }

            if (double.IsFinite(value))
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
