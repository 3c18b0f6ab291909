using AgentSwarm.Scenarios.SwarmBench;

namespace AgentSwarm.Scenarios.Tests;

/// <summary>SwarmBench's world: the reference's random stream and maps, the force rules cell by cell, each task's scoring.</summary>
public sealed class SwarmBenchTests
{
    private const SwarmMove S = SwarmMove.Stay;
    private const SwarmMove U = SwarmMove.Up;
    private const SwarmMove D = SwarmMove.Down;
    private const SwarmMove L = SwarmMove.Left;
    private const SwarmMove R = SwarmMove.Right;

    /// <summary>
    /// A hand-built world from a picture: W wall, N nest, F food, digits agents (by index), P the prey, p a static prey,
    /// B the box's cells (one rectangle). Agents' flags start true unless listed in <paramref name="off"/>.
    /// </summary>
    private static SwarmWorld World(SwarmTask task, string[] picture, int maxRounds = 100, int[]? off = null)
    {
        var (h, w) = (picture.Length, picture[0].Length);
        var cells = new byte[h * w];
        var agents = new SortedDictionary<int, (int, int)>();
        int preyRow = -1, preyCol = -1;
        var preyStatic = false;
        int boxTop = int.MaxValue, boxLeft = int.MaxValue, boxBottom = -1, boxRight = -1;
        for (var r = 0; r < h; r++)
        {
            for (var c = 0; c < w; c++)
            {
                var ch = picture[r][c];
                cells[(r * w) + c] = ch is 'W' or 'N' or 'F' ? (byte)ch : (byte)'.';
                if (char.IsDigit(ch))
                {
                    agents[ch - '0'] = (r, c);
                }
                else if (ch is 'P' or 'p')
                {
                    (preyRow, preyCol, preyStatic) = (r, c, ch == 'p');
                }
                else if (ch == 'B')
                {
                    (boxTop, boxLeft, boxBottom, boxRight) = (Math.Min(boxTop, r), Math.Min(boxLeft, c), Math.Max(boxBottom, r), Math.Max(boxRight, c));
                }
            }
        }

        var n = agents.Count;
        var flags = Enumerable.Range(0, n).Select(a => !(off ?? []).Contains(a)).ToArray();
        var hasBox = boxBottom >= 0;
        return new SwarmWorld(
            task, h, w, 5, maxRounds, cells, [.. agents.Values.Select(p => p.Item1)], [.. agents.Values.Select(p => p.Item2)], flags, new bool[n],
            preyRow, preyCol, preyStatic, hasBox ? boxTop : SwarmWorld.NoBox, hasBox ? boxLeft : 0, hasBox ? boxBottom - boxTop + 1 : 0,
            hasBox ? boxRight - boxLeft + 1 : 0, SwarmRules.BoxMass, new PythonRandom(1).Save(), 0, -1, 0, 0, new ulong[((h * w) + 63) / 64], 0, 0);
    }

    /// <summary>The world drawn as a picture again (agents by index, box B, prey P), to compare cell by cell.</summary>
    private static string[] Picture(SwarmWorld world)
    {
        var rows = new string[world.Height];
        var occupants = world.Occupants();
        for (var r = 0; r < world.Height; r++)
        {
            var line = new char[world.Width];
            for (var c = 0; c < world.Width; c++)
            {
                var agent = occupants[(r * world.Width) + c];
                line[c] = agent >= 0 ? (char)('0' + agent) : world.Symbol(r, c) switch
                {
                    'P' => world.PreyStatic ? 'p' : 'P',
                    var s => s,
                };
            }

            rows[r] = new string(line);
        }

        return rows;
    }

    private static void AssertWorld(string[] expected, SwarmWorld world) =>
        Assert.Equal(string.Join('\n', expected), string.Join('\n', Picture(world)));

    [Fact]
    public void TheRandomStreamIsPythons()
    {
        // Values printed by CPython 3: random.Random(42).randint(1, 8) ten times, then choice([1, 2, 3]), randint(0, 1000000).
        var rng = new PythonRandom(42);
        Assert.Equal([2, 1, 5, 4, 4, 3, 2, 2, 7, 1], Enumerable.Range(0, 10).Select(_ => rng.RandInt(1, 8)).ToArray());
        Assert.Equal(1, rng.Choice([1, 2, 3]));
        Assert.Equal(98246, rng.RandInt(0, 1_000_000));

        // A seed over 32 bits is two words: random.Random(2**40 + 7).randint(0, 9) five times.
        var big = new PythonRandom((1UL << 40) + 7);
        Assert.Equal([9, 9, 7, 4, 9], Enumerable.Range(0, 5).Select(_ => big.RandInt(0, 9)).ToArray());

        // A saved stream goes on where it stopped.
        var restored = PythonRandom.Restore(rng.Save());
        Assert.Equal(rng.RandInt(0, 1000), restored.RandInt(0, 1000));
    }

    [Fact]
    public void MapsAreTheReferencesForTheSameSeed()
    {
        // Drawn with CPython's random.Random(42) in the reference's order (prey, then spread; exit, box, then spread; lights, then spread).
        var pursuit = SwarmRules.Create(SwarmTask.Pursuit, 10, 10, 5, 10, 100, 42);
        Assert.Equal((8, 6), (pursuit.PreyRow, pursuit.PreyCol));
        Assert.Equal(
            new[] { (3, 1), (2, 2), (1, 2), (1, 5), (4, 5), (1, 1), (2, 1), (5, 2), (2, 5), (4, 2) },
            Enumerable.Range(0, 10).Select(a => (pursuit.Rows[a], pursuit.Cols[a])).ToArray());

        // The reference's seed-42 maps as its own code prints them (agents by index).
        var transport = SwarmRules.Create(SwarmTask.Transport, 10, 10, 5, 10, 100, 42);
        AssertWorld(
            ["WWWWWWWWWW", "W3..56...W", "W..2..9..W", "W........W", "W.481....W", "W0....7..W", "W.BBB....W", "W.BBB....W", "W.BBB....W", "BBBBWWWWWW"],
            transport);

        var foraging = SwarmRules.Create(SwarmTask.Foraging, 10, 10, 5, 10, 100, 42);
        AssertWorld(
            ["WWWWWWWWWW", "WFF.W5.NNW", "WFF0W.9NNW", "W...W....W", "W.28W....W", "W...W.7..W", "W...W....W", "W.163....W", "W...4....W", "WWWWWWWWWW"],
            foraging);
        Assert.All(foraging.Flags, carrying => Assert.False(carrying));

        // Flocking draws with seed 42 whatever the run's seed; its distance to the 3 x 3 ring starts at 11.
        var flocking = SwarmRules.Create(SwarmTask.Flocking, 10, 10, 5, 10, 100, 7);
        AssertWorld(
            ["WWWWWWWWWW", "W.0....4.W", "W53......W", "W...2....W", "W7..61.8.W", "W.......9W", "W........W", "W........W", "W........W", "WWWWWWWWWW"],
            flocking);
        Assert.Equal(11, flocking.FlockInitial);

        var sync = SwarmRules.Create(SwarmTask.Synchronization, 10, 10, 5, 10, 100, 27);
        Assert.Equal([3, 4, 5], Enumerable.Range(0, 10).Where(a => !sync.Flags[a]).ToArray());
    }

    [Theory]
    [InlineData("R....", "W.....W")]
    [InlineData("RR...", "W..123W")]
    [InlineData("..R..", "W.12.3W")]
    [InlineData(".R...", "W.1.23W")]
    [InlineData("RL...", "W.123.W")]
    public void ChainsOfAgentsMoveAsTheReferencesPhysicsMovesThem(string intents, string row)
    {
        // The reference's own cases (5 x 7, agents 1, 2, 3 in row 2): a lone pusher cannot shove two idle agents, two can,
        // the front one alone moves, the middle one takes the front one along, and opposing intents cancel out.
        var world = World(SwarmTask.Flocking, ["WWWWWWW", "W.....W", "W.012.W", "W.....W", "WWWWWWW"]);
        var moves = intents[..3].Select(c => c switch { 'R' => R, 'L' => L, 'U' => U, _ => S }).ToArray();
        var after = SwarmRules.Step(world, moves);
        var expected = row == "W.....W" ? "W.012.W" : row.Replace('1', '0').Replace('2', '1').Replace('3', '2');
        Assert.Equal(expected, Picture(after)[2]);
    }

    [Fact]
    public void TheLBoxMovesWhenFiveUnitsOfForceReachItAndLeavesTheGapOpen()
    {
        // Variant 4 (box at the top-left corner, its arm plugging rows 0..3 of the left wall), as in the reference's test:
        // (5,1) with (6,1) behind it, (5,2) and (5,3) push UP: 2 + 1 + 1 = 4, the box stays.
        var map = SwarmRules.Create(SwarmTask.Transport, 10, 10, 5, 0, 100, 1);
        var variant = SwarmRules.BoxVariants[4];
        var (boxRow, boxCol) = variant.Position(10, 10);
        var cells = (byte[])map.Cells.Clone();
        for (var r = 0; r < 10; r++)
        {
            cells[r * 10] = r < 4 ? (byte)'.' : (byte)'W';
            cells[(r * 10) + 9] = (byte)'W';
            cells[r] = (byte)'W';
            cells[90 + r] = (byte)'W';
        }

        cells[0] = (byte)'.';
        var world = map with
        {
            Cells = cells, BoxRow = boxRow, BoxCol = boxCol, BoxHeight = 5, BoxWidth = 4, BoxMask = variant.Mask(),
            Rows = [5, 5, 5, 6], Cols = [1, 2, 3, 1], Flags = [true, true, true, true], Escaped = new bool[4],
        };
        var four = SwarmRules.Step(world, [U, U, U, U]);
        Assert.Equal((0, 0), (four.BoxRow, four.BoxCol));

        // A fifth pusher behind (5,2): 5, and the box and all five agents move up a row; the box's top cell leaves the map.
        var five = world with { Rows = [5, 5, 5, 6, 6], Cols = [1, 2, 3, 1, 2], Flags = [true, true, true, true, true], Escaped = new bool[5] };
        var moved = SwarmRules.Step(five, [U, U, U, U, U]);
        Assert.Equal((-1, 0), (moved.BoxRow, moved.BoxCol));
        Assert.Equal([4, 4, 4, 5, 5], moved.Rows);
        Assert.Equal('.', moved.Symbol(3, 0)); // the gap's lowest cell is open now
    }

    [Fact]
    public void OneAgentPushesOneIdleAgentButNotTwo()
    {
        var world = World(SwarmTask.Flocking, ["WWWWWWW", "W01...W", "W234..W", "WWWWWWW"]);
        var after = SwarmRules.Step(world, [R, S, R, S, S]);
        AssertWorld(["WWWWWWW", "W.01..W", "W234..W", "WWWWWWW"], after);
    }

    [Fact]
    public void AChainOfPushersMovesTogetherAndForceAddsUpAlongIt()
    {
        // 0 and 1 push right: 2 and 3 ahead are idle; force 2 + 2 less the masses 1 + 1 leaves 2, enough for both.
        var world = World(SwarmTask.Flocking, ["WWWWWWWW", "W0123..W", "WWWWWWWW"]);
        AssertWorld(["WWWWWWWW", "W.0123.W", "WWWWWWWW"], SwarmRules.Step(world, [R, R, S, S]));

        // One pusher, three idle agents: nothing moves.
        AssertWorld(["WWWWWWWW", "W0123..W", "WWWWWWWW"], SwarmRules.Step(world, [R, S, S, S]));
    }

    [Fact]
    public void WallsStopEverythingAndThereIsNoPulling()
    {
        var world = World(SwarmTask.Flocking, ["WWWWWW", "W..01W", "W2...W", "WWWWWW"]);

        // 1 pushes into the wall, 0 pushes 1: the chain ends at a wall, so neither moves; 2 moves left into the wall: no.
        AssertWorld(["WWWWWW", "W..01W", "W2...W", "WWWWWW"], SwarmRules.Step(world, [R, R, L]));

        // 0 moving left away from 1 does not drag it along.
        AssertWorld(["WWWWWW", "W.0.1W", "W2...W", "WWWWWW"], SwarmRules.Step(world, [L, S, S]));
    }

    [Fact]
    public void DirectionsResolveUpDownLeftRightInThatOrder()
    {
        // Two agents into one cell: 1 goes UP first and takes it; then 0, going RIGHT, pushes 1 (idle in that phase) on.
        var world = World(SwarmTask.Flocking, ["WWWWWW", "W0...W", "W.1..W", "WWWWWW"]);
        AssertWorld(["WWWWWW", "W.01.W", "W....W", "WWWWWW"], SwarmRules.Step(world, [R, U]));

        // 0 goes DOWN, 1 goes UP into the same cell: UP comes first; then 0 cannot push 1, who pushes back (mass 1 + 2).
        var facing = World(SwarmTask.Flocking, ["WWWW", "W0.W", "W..W", "W1.W", "WWWW"]);
        AssertWorld(["WWWW", "W0.W", "W1.W", "W..W", "WWWW"], SwarmRules.Step(facing, [D, U]));

        // Head on: each resists the other's push with its own, nobody moves.
        var headOn = World(SwarmTask.Flocking, ["WWWWWW", "W.01.W", "WWWWWW"]);
        AssertWorld(["WWWWWW", "W.01.W", "WWWWWW"], SwarmRules.Step(headOn, [R, L]));
    }

    [Fact]
    public void TheBoxMovesOnlyWhenEnoughForceReachesIt()
    {
        // A 1 x 5 box of mass 5. Four agents pushing up give 4 x (2 - 1) = 4: not enough.
        string[] four = ["WWWWWWW", "W.....W", "WBBBBBW", "W0123.W", "W.....W", "WWWWWWW"];
        AssertWorld(four, SwarmRules.Step(World(SwarmTask.Transport, four), [U, U, U, U]));

        // Five give 5: the box and the five agents move up one cell.
        string[] five = ["WWWWWWW", "W.....W", "WBBBBBW", "W01234W", "W.....W", "WWWWWWW"];
        AssertWorld(["WWWWWWW", "WBBBBBW", "W01234W", "W.....W", "W.....W", "WWWWWWW"], SwarmRules.Step(World(SwarmTask.Transport, five), [U, U, U, U, U]));

        // Three lanes of two agents behind each other give 3 x 2 = 6: it moves.
        string[] lanes = ["WWWWWWW", "W.....W", "WBBBBBW", "W012..W", "W345..W", "WWWWWWW"];
        AssertWorld(["WWWWWWW", "WBBBBBW", "W012..W", "W345..W", "W.....W", "WWWWWWW"], SwarmRules.Step(World(SwarmTask.Transport, lanes), [U, U, U, U, U, U]));
    }

    [Fact]
    public void TheBoxMovesWhatIsAheadOfItOnlyIfItsForceCoversThemAll()
    {
        // Two idle agents stand ahead of a 1 x 5 box. Five lanes push it, two of them two deep: 7 units reach it, 5 for
        // the box and 1 for each agent ahead: everything moves.
        string[] picture = ["WWWWWWW", "W.....W", "W01...W", "WBBBBBW", "W23456W", "W78...W", "W.....W", "WWWWWWW"];
        SwarmMove[] moves = [S, S, U, U, U, U, U, U, U];
        var after = SwarmRules.Step(World(SwarmTask.Transport, picture), moves);
        AssertWorld(["WWWWWWW", "W01...W", "WBBBBBW", "W23456W", "W78...W", "W.....W", "W.....W", "WWWWWWW"], after);

        // One pusher fewer: 6 units, 5 for the box leaves 1, short of the 2 the agents ahead need: nothing moves.
        SwarmMove[] fewer = [S, S, U, U, U, U, U, U, S];
        AssertWorld(picture, SwarmRules.Step(World(SwarmTask.Transport, picture), fewer));

        // The agent ahead pushing back weighs 3: 7 units are then short of 5 + 1 + 3 as well.
        SwarmMove[] against = [S, D, U, U, U, U, U, U, U];
        AssertWorld(picture, SwarmRules.Step(World(SwarmTask.Transport, picture), against));
    }

    [Fact]
    public void PursuitCapturesWhenTheFourSidesAreTakenAndRespawnsAStaticPrey()
    {
        // The prey's left side is a wall; agents close in above, below and to the right: a capture, +1.
        var world = World(SwarmTask.Pursuit, ["WWWWWWWW", "W0.....W", "WP.1...W", "W2.....W", "W......W", "W......W", "W......W", "WWWWWWWW"]);
        var after = SwarmRules.Step(world, [S, L, S]);
        Assert.Equal(1, after.Score);
        Assert.Equal(1, after.Events);
        Assert.True(after.PreyStatic);
        Assert.NotEqual((2, 1), (after.PreyRow, after.PreyCol));
        Assert.Equal('.', world.Symbol(after.PreyRow, after.PreyCol));
    }

    [Fact]
    public void PursuitPreyFleesTwoStepsToTheSafestCell()
    {
        // Agents to the prey's left: it runs two cells away from them.
        var world = World(SwarmTask.Pursuit, ["WWWWWWWWWWWW", "W..........W", "W..........W", "W0.P.......W", "W1.........W", "W..........W", "WWWWWWWWWWWW"]);
        var after = SwarmRules.Step(world, [S, S]);
        Assert.Equal(0, after.Score);
        Assert.Equal(2, Math.Abs(after.PreyRow - 3) + Math.Abs(after.PreyCol - 3));
        Assert.True(SwarmRules.Danger(after, after.PreyRow, after.PreyCol) < SwarmRules.Danger(world, 3, 2));
    }

    [Fact]
    public void SynchronizationScoresEachNewUnanimousState()
    {
        var world = World(SwarmTask.Synchronization, ["WWWWW", "W0.1W", "W.2.W", "WWWWW"], off: [1]);
        var synced = SwarmRules.Step(world, [S, SwarmMove.Switch, S]); // all on: +1
        Assert.Equal(1, synced.Score);
        Assert.Equal(3, synced.SyncPrevious);
        var again = SwarmRules.Step(synced, [S, S, S]); // still all on: the same state scores once
        Assert.Equal(1, again.Score);
        var half = SwarmRules.Step(again, [SwarmMove.Switch, SwarmMove.Switch, S]); // mixed: nothing
        Assert.Equal(1, half.Score);
        var off = SwarmRules.Step(half, [S, S, SwarmMove.Switch]); // all off: +1
        Assert.Equal(2, off.Score);
        Assert.All(off.Flags, f => Assert.False(f));
    }

    [Fact]
    public void ForagingPicksUpBesideFoodAndDeliversBesideTheNest()
    {
        var world = World(SwarmTask.Foraging, ["WWWWWWW", "WF0..NW", "W...1NW", "WWWWWWW"], off: [0, 1]);
        // 0 is beside the food: it takes a piece. 1 steps beside the nest but carries nothing: no point.
        var first = SwarmRules.Step(world, [S, S]);
        Assert.Equal([true, false], first.Flags);
        Assert.Equal(0, first.Score);

        // 0 walks right to the nest with its food: delivered, +1, and it carries nothing again.
        var walked = SwarmRules.Step(SwarmRules.Step(first, [R, D]), [R, S]);
        Assert.Equal(1, walked.Score);
        Assert.Equal(1, walked.Events);
        Assert.False(walked.Flags[0]);
    }

    [Fact]
    public void FlockDistanceIsTheAssignmentCostMinimisedOverTranslations()
    {
        // 4 agents: the target is a 2 x 2 square (side 4 / 4 + 1 = 2), all four cells its outline.
        int[] rows = [3, 3, 4, 4];
        int[] cols = [5, 6, 5, 6];
        Assert.Equal(0, SwarmFlock.Distance(rows, cols, 4));

        // One agent a cell off: 1. Two opposite corners pulled apart diagonally: the best placement costs 2.
        Assert.Equal(1, SwarmFlock.Distance([3, 3, 4, 5], [5, 6, 5, 6], 4));
        Assert.Equal(2, SwarmFlock.Distance([2, 3, 4, 4], [4, 6, 5, 6], 4));

        // The assignment solver against brute force over permutations.
        var costs = new[,] { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };
        Assert.Equal(5, Assignment.MinimumCost(3, (i, j) => costs[i, j]));
    }

    [Fact]
    public void FlockingScoreIsTheBestImprovementSoFar()
    {
        // Three corners of the 2 x 2 square and one agent two cells off: distance 2.
        var world = World(SwarmTask.Flocking, ["WWWWWWW", "W01...W", "W2..3.W", "W.....W", "WWWWWWW"]);
        var start = SwarmFlock.Distance(world.Rows, world.Cols, 4);
        Assert.Equal(2, start);
        world = world with { FlockInitial = start, FlockCurrent = start };
        var closer = SwarmRules.Step(world, [S, S, S, L]);
        Assert.Equal(1, closer.FlockCurrent);
        Assert.Equal(1, closer.Score);
        var back = SwarmRules.Step(closer, [S, S, S, R]);
        Assert.Equal(2, back.FlockCurrent);
        Assert.Equal(1, back.Score); // moving away again does not lower the score
        var done = SwarmRules.Step(SwarmRules.Step(back, [S, S, S, L]), [S, S, S, L]);
        Assert.Equal(0, done.FlockCurrent);
        Assert.Equal(2, done.Score);
        Assert.True(SwarmRules.IsDone(done));
    }

    [Fact]
    public void TransportScoresEachExitByTheRoundItHappensIn()
    {
        // A gap in the right wall; agent 0 stands in it and steps out in the 11th round of 100: (100 - 10) / 100, as the reference counts rounds from 0.
        var world = World(SwarmTask.Transport, ["WWWWW", "W..0.", "W1..W", "WWWWW"]) with { Round = 9 };
        var after = SwarmRules.Step(SwarmRules.Step(world, [R, S]), [R, S]);
        Assert.True(after.Escaped[0]);
        Assert.Equal((100 - 10) / 100.0, after.Score, 12);
        Assert.False(SwarmRules.IsDone(after));
        Assert.DoesNotContain(0, after.Occupants()); // it no longer stands on the map
    }

    [Fact]
    public void AnAgentSeesItsWindowInTheReferencesSymbolsAndHearsItsNeighbours()
    {
        var world = World(SwarmTask.Synchronization, ["WWWWWWW", "W0.1..W", "W.....W", "W....2W", "WWWWWWW"], off: [1]);
        var view = SwarmView.Render(world with { View = 3 }, 0);
        Assert.Equal("     0   1   2\n  0  W   W   W   \n  1  W   Y   .   \n  2  W   .   .   \n", view);
        var wide = SwarmView.Render(world, 0);
        Assert.Contains("$1", wide, StringComparison.Ordinal);
        Assert.Contains("*", wide, StringComparison.Ordinal);

        // Within floor(5 / 2) = 2 cells (Chebyshev), itself included; 2 is 3 rows and 4 columns away.
        string?[] messages = ["me", "near", "far"];
        Assert.Equal(["me", "near"], SwarmView.Heard(world, messages, 0));
        Assert.Equal(["near", "far"], SwarmView.Heard(world, messages, 2)); // 1 is 2 rows and 2 columns from 2
    }

    [Fact]
    public void WhatAnAgentSaysAsItLeavesTheMapIsHeardNextRoundAroundTheCellOutsideWhereItStands()
    {
        // Agent 0 stands in the gap of the right wall and steps out to (1, 7) while speaking. As in the reference, it
        // stays on that cell outside the map and is heard by position alone, within floor(5 / 2) = 2 cells: 1 (2 columns
        // away) and 3 (2 rows and 2 columns away) hear it next round, 2 (4 columns away) does not.
        var world = World(SwarmTask.Transport, ["WWWWWWW", "W..2.10", "W.....W", "W....3W", "WWWWWWW"]);
        var after = SwarmRules.Step(world, [R, S, S, S]);
        Assert.True(after.Escaped[0]);
        Assert.Equal((1, 7), (after.Rows[0], after.Cols[0]));
        Assert.Equal([0], after.Departed());

        string?[] messages = ["leaving", "here", null, "below"];
        Assert.Equal(["leaving", "here", "below"], SwarmView.Heard(after, messages, 1)); // in the order of the speakers
        Assert.Equal(["here", "below"], SwarmView.Heard(after, messages, 2));
        Assert.Equal(["leaving", "here", "below"], SwarmView.Heard(after, messages, 3));
        Assert.Empty(SwarmView.Heard(after, messages, 0)); // it no longer decides, so it hears nothing
    }

    [Fact]
    public void AnswersAreReadAsTheReferenceReadsThem()
    {
        var actions = SwarmNames.Actions(SwarmTask.Synchronization);
        Assert.Equal((SwarmMove.Switch, "all switch now"), SwarmMind.Parse("I think so.\nACTION: SWITCH\nMSG: all switch now\nthanks", actions));
        Assert.Equal((SwarmMove.Up, null), SwarmMind.Parse("action: move UP please", actions));
        Assert.Equal((null, "hello"), SwarmMind.Parse("No idea.\nMSG: hello", actions));
        var (_, longMessage) = SwarmMind.Parse("ACTION: STAY\nMSG: " + new string('x', 200), actions);
        Assert.Equal(new string('x', 120) + "...", longMessage);
    }

    [Fact]
    public void GroupMetricsFollowTheReferencesFormulas()
    {
        SwarmMove[] actions = [U, U, R, S, SwarmMove.Switch];
        var metrics = SwarmMetrics.Compute(actions, ["go?", "ok", null, null, null], [true, true, true, true, true], 7);
        Assert.Equal(-((2 / 3.0 * Math.Log2(2 / 3.0)) + (1 / 3.0 * Math.Log2(1 / 3.0))), metrics.ActionEntropy, 12);
        Assert.Equal(1 / 5.0, metrics.Stillness, 12);
        Assert.Equal(Math.Sqrt((1 / 16.0) + (4 / 16.0)), metrics.Polarization, 12); // mean of (0,-1),(0,-1),(1,0),(0,0)
        Assert.Equal(2 / 4.0, metrics.DominantAction, 12);
        Assert.Equal(2.5, metrics.MessageLength, 12);
        Assert.Equal(0.5, metrics.QuestionShare, 12);
        Assert.Equal(7, metrics.Explored);
    }
}
