using AgentSwarm.Hosting;
using Microsoft.Extensions.Configuration;

namespace AgentSwarm.Web.Tests;

public sealed class UserTextTests
{
    [Theory]
    [InlineData("Cannot parse argument 'x' for option '--agents' as expected type 'System.Nullable`1[System.Int32]'.", "Cannot parse argument 'x' for option '--agents' as a whole number.")]
    [InlineData("The JSON value could not be converted to AgentSwarm.Web.LaunchRequest. Path: $", "The JSON value could not be converted to launch request. Path: $")]
    [InlineData("Could not find a part of the path '/data/AgentSwarm.Web.Runs/System.Int32/out'.", "Could not find a part of the path '/data/AgentSwarm.Web.Runs/System.Int32/out'.")]
    public void FrameworkMessagesAreSaidInWordsAndPathsAreLeftAlone(string message, string expected) =>
        Assert.Equal(expected, UserText.Plain(message));

    [Fact]
    public void AnUnknownConsoleSettingIsNamedWithoutTheBindersTypesOrSwitches()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ConsoleOptions.Key("Bogus")] = "1" }).Build();

        var problem = Assert.Throws<ConsoleProblem>(() => ConsoleOptions.From(configuration, cluster: false));

        Assert.Contains("unknown setting(s) 'Bogus'", problem.Message);
        Assert.DoesNotContain("BinderOptions", problem.Message);
        Assert.DoesNotContain("AgentSwarm.Web", problem.Message);
    }
}
