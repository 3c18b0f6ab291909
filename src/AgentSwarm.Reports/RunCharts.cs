using System.Globalization;
using AgentSwarm.Replay;

namespace AgentSwarm.Reports;

/// <summary>The report's PNG charts (ScottPlot), drawn from the exported tables.</summary>
public static class RunCharts
{
    private const int Width = 900;
    private const int Height = 500;

    /// <summary>Draws the charts the log's scenario and records allow; returns their file names.</summary>
    public static List<string> Draw(RunLog log, List<ExportTable> tables, string directory)
    {
        var files = new List<string>();
        var rounds = tables.Single(t => t.Name == "rounds");
        var roundNumbers = Values(rounds, "round");
        if (log.Header.Scenario == "guess-two-thirds")
        {
            var actions = tables.Single(t => t.Name == "actions");
            var byRound = Values(actions, "round");
            var numbers = Values(actions, "number");
            var top = Math.Max(100, numbers.Where(double.IsFinite).DefaultIfEmpty(100).Max());
            var targets = Values(rounds, "target");
            for (var row = 0; row < roundNumbers.Length; row++)
            {
                var r = roundNumbers[row];
                var guesses = numbers.Where((_, i) => byRound[i] == r && double.IsFinite(numbers[i]) && numbers[i] >= 0 && numbers[i] <= top).ToArray();
                files.Add(Histogram(directory, (int)r, guesses, top, targets[row]));
            }

            files.Add(Lines(directory, "mean-target.png", "Mean guess and target by round", "round", "value", roundNumbers,
                ("mean", Values(rounds, "mean")), ("target", Values(rounds, "target")), ("median", Values(rounds, "median"))));
        }

        if (rounds.Columns.Any(c => c.Name == "score"))
        {
            files.Add(Lines(directory, "score.png", "Score by round", "round", "score", roundNumbers, ("score", Values(rounds, "score"))));
        }

        var llm = tables.Single(t => t.Name == "llm_calls");
        if (llm.Rows > 0)
        {
            var callRounds = Values(llm, "round");
            var latency = Values(llm, "latency_ms");
            var prompt = Values(llm, "prompt_tokens");
            var output = Values(llm, "output_tokens");
            double[] PerRound(double[] values, Func<IEnumerable<double>, double> aggregate) =>
                [.. roundNumbers.Select(r => aggregate(values.Where((_, i) => callRounds[i] == r).DefaultIfEmpty(0)))];
            files.Add(Lines(directory, "llm-latency.png", "LLM call latency by round", "round", "ms", roundNumbers,
                ("mean", PerRound(latency, v => v.Average())), ("p95", PerRound(latency, v => Percentile(v, 95)))));
            files.Add(Lines(directory, "llm-tokens.png", "LLM tokens by round", "round", "tokens", roundNumbers,
                ("prompt", PerRound(prompt, v => v.Sum())), ("output", PerRound(output, v => v.Sum()))));
        }

        return files;
    }

    private static double[] Values(ExportTable table, string column)
    {
        var found = table.Columns.Single(c => c.Name == column);
        var values = new double[found.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = found.Number(i);
        }

        return values;
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(sorted.Length * p / 100) - 1, 0, sorted.Length - 1)];
    }

    private static string Histogram(string directory, int round, double[] guesses, double top, double target)
    {
        const int Bins = 20;
        var counts = new double[Bins];
        foreach (var g in guesses)
        {
            counts[Math.Min(Bins - 1, (int)(g / top * Bins))]++;
        }

        var plot = new ScottPlot.Plot();
        var width = top / Bins;
        var bars = plot.Add.Bars(Enumerable.Range(0, Bins).Select(b => (b + 0.5) * width).ToArray(), counts);
        foreach (var bar in bars.Bars)
        {
            bar.Size = width * 0.9;
        }

        if (double.IsFinite(target))
        {
            var line = plot.Add.VerticalLine(target);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"target {target:F2}");
            plot.ShowLegend();
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Round {round}: {guesses.Length:N0} valid guesses"));
        plot.XLabel("guess");
        plot.YLabel("agents");
        var file = $"histogram-round-{round}.png";
        plot.SavePng(Path.Combine(directory, file), Width, Height);
        return file;
    }

    private static string Lines(string directory, string file, string title, string x, string y, double[] xs, params (string Name, double[] Values)[] series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, values) in series)
        {
            var scatter = plot.Add.Scatter(xs, values);
            scatter.LegendText = name;
        }

        plot.ShowLegend();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.SavePng(Path.Combine(directory, file), Width, Height);
        return file;
    }
}
