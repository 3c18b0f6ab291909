using AgentSwarm.Replay;

namespace AgentSwarm.Reports;

/// <summary>A run's log as tables: rounds (with the scenario's statistics), actions, messages, llm_calls, snapshots.</summary>
public static class RunTables
{
    /// <summary>One table per record kind, read from the log.</summary>
    public static List<ExportTable> Read(RunLog log)
    {
        var rounds = new ExportTable("rounds");
        var round = rounds.Int("round");
        var seconds = rounds.Double("seconds");
        var steps = rounds.Long("agent_steps");
        var messages = rounds.Long("messages");
        var dropped = rounds.Long("dropped_messages");
        var hash = rounds.Text("state_hash");
        var statColumns = new Dictionary<string, ExportTable.Column<double>>(StringComparer.Ordinal);
        foreach (var r in log.Rounds)
        {
            round.Add(r.Round);
            seconds.Add(TimeSpan.FromTicks(r.ElapsedTicks).TotalSeconds);
            steps.Add(r.AgentSteps);
            messages.Add(r.Messages);
            dropped.Add(r.DroppedMessages);
            hash.Add($"{r.StateHash:x16}");
            for (var c = 0; c < r.Columns.Length; c++)
            {
                if (!statColumns.TryGetValue(r.Columns[c], out var column))
                {
                    statColumns[r.Columns[c]] = column = rounds.Double(r.Columns[c]);
                    for (var missing = 0; missing < round.Count - 1; missing++)
                    {
                        column.Add(double.NaN);
                    }
                }

                column.Add(r.Values[c]);
            }
        }

        var actions = new ExportTable("actions");
        var aRound = actions.Int("round");
        var aAgent = actions.Int("agent");
        var aNumber = actions.Double("number");
        var aText = actions.Text("text");
        var sent = new ExportTable("messages");
        var mRound = sent.Int("round");
        var mFrom = sent.Int("from");
        var mTo = sent.Int("to");
        var mText = sent.Text("text");
        foreach (var record in log.PartitionRounds())
        {
            for (var i = 0; i < record.Numbers.Length; i++)
            {
                aRound.Add(record.Round);
                aAgent.Add(record.First + i);
                aNumber.Add(record.Numbers[i]);
                aText.Add(record.Texts?[i]);
                for (var m = record.SentOffsets[i]; m < record.SentOffsets[i + 1]; m++)
                {
                    mRound.Add(record.Round);
                    mFrom.Add(record.First + i);
                    mTo.Add(record.SentTo[m]);
                    mText.Add(record.SentText[m]);
                }
            }
        }

        var llm = new ExportTable("llm_calls");
        var lRound = llm.Int("round");
        var lAgent = llm.Int("agent");
        var lSequence = llm.Int("sequence");
        var lEndpoint = llm.Text("endpoint");
        var lOutcome = llm.Text("outcome");
        var lPromptTokens = llm.Int("prompt_tokens");
        var lOutputTokens = llm.Int("output_tokens");
        var lLatency = llm.Double("latency_ms");
        var lRetries = llm.Int("retries");
        var lCached = llm.Int("cached");
        var lSystem = llm.Text("system_prompt");
        var lLast = llm.Text("last_prompt");
        var lResponse = llm.Text("response");
        foreach (var (call, prompt) in log.LlmCalls())
        {
            lRound.Add(call.Round);
            lAgent.Add(call.Agent);
            lSequence.Add(call.Sequence);
            lEndpoint.Add(call.Endpoint);
            lOutcome.Add(((Abstractions.LlmOutcome)call.Outcome).ToString().ToLowerInvariant());
            lPromptTokens.Add(call.PromptTokens);
            lOutputTokens.Add(call.OutputTokens);
            lLatency.Add(call.LatencyMs);
            lRetries.Add(call.Retries);
            lCached.Add(call.Cached ? 1 : 0);
            lSystem.Add(prompt.FirstOrDefault(m => m.Role == Abstractions.LlmRole.System)?.Text);
            lLast.Add(prompt.Length > 0 ? prompt[^1].Text : null);
            lResponse.Add(call.Response);
        }

        var snapshots = new ExportTable("snapshots");
        var sRound = snapshots.Int("round");
        var sAgent = snapshots.Int("agent");
        var sMemory = snapshots.Text("memory");
        foreach (var snapshot in log.Snapshots())
        {
            sRound.Add(snapshot.Round);
            sAgent.Add(snapshot.Agent);
            sMemory.Add(string.Join("\n", snapshot.Memory));
        }

        return [rounds, actions, sent, llm, snapshots];
    }
}
