namespace AgentSwarm.Engine.Grains;

/// <summary>Giving a silo's threads back from inside a long grain turn.</summary>
internal static class SiloTurns
{
    /// <summary>
    /// Lets the silo's other work run before the caller goes on. <c>await Task.Yield()</c> does not, in a grain: the
    /// continuation joins the activation's own queue, which runs on for its whole scheduling quantum and then goes back
    /// on the same thread's local queue, ahead of the grains it called (an inference grain, say), which wait until the
    /// loop is over. This queues an empty task on the thread pool's global queue instead: the activation has nothing
    /// to run meanwhile and gives its thread back, so work queued earlier runs first, and the caller goes on after it.
    /// </summary>
    public static Task YieldAsync() =>
        Task.Factory.StartNew(static () => { }, CancellationToken.None, TaskCreationOptions.PreferFairness, TaskScheduler.Default);
}
