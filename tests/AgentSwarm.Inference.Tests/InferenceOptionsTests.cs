namespace AgentSwarm.Inference.Tests;

public sealed class InferenceOptionsTests
{
    [Fact]
    public void ThePoolsDefaultsPassValidation() =>
        Assert.True(new InferenceOptionsValidator().Validate(null, new InferenceOptions()).Succeeded);

    [Fact]
    public void ABadPoolSettingIsRefusedNamingItsKey()
    {
        var result = new InferenceOptionsValidator().Validate(null, new InferenceOptions { BatchSize = 0, BackoffBase = TimeSpan.FromSeconds(20), AffinitySlack = double.NaN });

        Assert.False(result.Succeeded);
        Assert.Contains("AgentSwarm:Inference:BatchSize must be positive (got 0)", result.FailureMessage);
        Assert.Contains("AgentSwarm:Inference:BackoffMax (00:00:10) must not be shorter than BackoffBase (00:00:20)", result.FailureMessage);
        Assert.Contains("AgentSwarm:Inference:AffinitySlack must be 0 or more", result.FailureMessage);
    }
}
