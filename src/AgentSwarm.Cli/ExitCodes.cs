namespace AgentSwarm.Cli;

internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The run started but failed.</summary>
    public const int Failed = 1;

    /// <summary>Bad input: a malformed scenario file, an unknown option, an impossible value.</summary>
    public const int BadInput = 2;

    /// <summary>The run completed, but more of its LLM calls failed than the scenario's llm.max-failure-share allows: its results say little.</summary>
    public const int Degraded = 3;

    /// <summary>Cancelled by the user (Ctrl+C); what finished is written.</summary>
    public const int Cancelled = 130;
}
