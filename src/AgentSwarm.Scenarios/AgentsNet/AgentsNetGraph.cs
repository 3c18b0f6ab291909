using AgentSwarm.Engine.Topology;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>An AgentsNet instance: a connected graph whose nodes have distinct names.</summary>
/// <param name="Names">Node names, by node index.</param>
/// <param name="DeclaredDiameter">The diameter the instance file states, if it states one.</param>
/// <param name="DiameterIsBound">The graph is too large for its exact diameter within <see cref="DiameterSearches"/> BFS
/// runs (it has more than <see cref="ExactDiameterUpTo"/> nodes), so <see cref="Diameter"/> is a proven upper bound: rounds that depend on it are enough, though maybe more than needed.</param>
public sealed record AgentsNetGraph(string[] Names, Graph Graph, int Diameter, int MaxDegree, string Source, int? DeclaredDiameter = null, bool DiameterIsBound = false)
{
    /// <summary>Graphs up to this many nodes get their exact diameter, however many BFS runs it takes.</summary>
    public const int ExactDiameterUpTo = 100_000;

    /// <summary>BFS runs spent on a larger graph's diameter at most (each is a pass over every edge); past them it gets a bound.</summary>
    public const int DiameterSearches = 64;

    public int NodeCount => Graph.NodeCount;

    /// <summary>Names the graph from its nodes' indices, computing its diameter (exact, or an upper bound past the search budget) and max degree.</summary>
    public static AgentsNetGraph Create(Graph graph, string[] names, string source, int? declaredDiameter = null)
    {
        if (names.Length != graph.NodeCount)
        {
            throw new ArgumentException($"{names.Length} names for {graph.NodeCount} nodes", nameof(names));
        }

        var (diameter, _, exact) = Engine.Topology.Diameter.Bounded(graph, graph.NodeCount <= ExactDiameterUpTo ? int.MaxValue : DiameterSearches);
        return new AgentsNetGraph(names, graph, diameter, graph.MaxDegree(), source, declaredDiameter, !exact);
    }
}

/// <summary>Agent names: AgentsNet gives each agent a first name and nothing else.</summary>
public static class AgentNames
{
    /// <summary>200 distinct first names; beyond them names repeat with a number (Alice2, Alice3, ...).</summary>
    public static IReadOnlyList<string> FirstNames { get; } =
    [
        "Aaron", "Abigail", "Adam", "Adrian", "Aidan", "Alan", "Albert", "Alexa", "Alice", "Alicia",
        "Allison", "Alvin", "Amanda", "Amber", "Amelia", "Amy", "Andrea", "Andrew", "Angela", "Anthony",
        "Arthur", "Audrey", "Austin", "Barbara", "Benjamin", "Bernard", "Beth", "Betty", "Beverly", "Billy",
        "Blake", "Bobby", "Bradley", "Brandon", "Brenda", "Brian", "Brittany", "Bruce", "Bryan", "Caleb",
        "Cameron", "Carl", "Carol", "Caroline", "Carter", "Catherine", "Charles", "Charlotte", "Chelsea", "Cheryl",
        "Chloe", "Christian", "Christopher", "Claire", "Clara", "Cody", "Connor", "Craig", "Cynthia", "Daisy",
        "Daniel", "Danielle", "David", "Deborah", "Denise", "Dennis", "Diana", "Diane", "Dominic", "Donald",
        "Donna", "Dorothy", "Douglas", "Dylan", "Edward", "Eleanor", "Elijah", "Elizabeth", "Ella", "Emily",
        "Emma", "Eric", "Ethan", "Eugene", "Evelyn", "Felix", "Fiona", "Frances", "Frank", "Gabriel",
        "Gary", "George", "Gerald", "Gloria", "Grace", "Gregory", "Hannah", "Harold", "Harry", "Heather",
        "Helen", "Henry", "Holly", "Howard", "Isaac", "Isabel", "Jack", "Jacob", "Jacqueline", "James",
        "Janet", "Jason", "Jeffrey", "Jennifer", "Jeremy", "Jessica", "Joan", "Joel", "John", "Jordan",
        "Joseph", "Joshua", "Joyce", "Judith", "Julia", "Julian", "Justin", "Karen", "Katherine", "Keith",
        "Kelly", "Kenneth", "Kevin", "Kimberly", "Kyle", "Laura", "Lauren", "Lawrence", "Leah", "Leonard",
        "Liam", "Lillian", "Logan", "Louis", "Lucas", "Lucy", "Madison", "Margaret", "Maria", "Marilyn",
        "Mark", "Martha", "Martin", "Mason", "Matthew", "Megan", "Melissa", "Michael", "Michelle", "Miles",
        "Monica", "Nancy", "Natalie", "Nathan", "Nicholas", "Nicole", "Noah", "Oliver", "Olivia", "Oscar",
        "Owen", "Pamela", "Patricia", "Patrick", "Paul", "Peter", "Philip", "Rachel", "Ralph", "Raymond",
        "Rebecca", "Richard", "Robert", "Roger", "Ruby", "Russell", "Ruth", "Ryan", "Samantha", "Samuel",
        "Sandra", "Sarah", "Scott", "Sharon", "Sophia", "Stephen", "Steven", "Susan", "Teresa", "Victoria",
    ];

    /// <summary>n distinct names: the list in order, then the list again with 2, 3, ... appended.</summary>
    public static string[] For(int count)
    {
        var names = new string[count];
        for (var i = 0; i < count; i++)
        {
            var round = i / FirstNames.Count;
            var name = FirstNames[i % FirstNames.Count];
            names[i] = round == 0 ? name : name + (round + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }
}
