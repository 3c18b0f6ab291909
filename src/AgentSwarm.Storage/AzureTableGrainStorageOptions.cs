using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace AgentSwarm.Storage;

/// <summary>Settings of one Azure Table grain storage provider (configuration section <c>Orleans:GrainStorage:&lt;name&gt;</c>).</summary>
public sealed class AzureTableGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The table name used when none is set.</summary>
    public const string DefaultTableName = "AgentSwarmGrainState";

    /// <summary>The storage account's connection string (Azure, or Azurite's devstoreaccount1). Default: none; required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The table that holds grain state; created at silo start when missing. Default: "AgentSwarmGrainState".</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>Compress state with LZ4 whenever that makes it smaller. Default: true.</summary>
    public bool Compress { get; set; } = true;

    /// <summary>The silo lifecycle stage at which the table is created. Default: <see cref="ServiceLifecycleStage.ApplicationServices"/>.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>How grain state becomes bytes. Default: null, meaning Orleans' own binary serializer (<see cref="OrleansGrainStorageSerializer"/>).</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>Checks a provider's settings at silo start: a missing or malformed setting stops the silo with a message naming it.</summary>
internal sealed partial class AzureTableGrainStorageOptionsValidator : IValidateOptions<AzureTableGrainStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, AzureTableGrainStorageOptions options)
    {
        var section = $"Orleans:GrainStorage:{name}";
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            problems.Add($"Azure Table grain storage '{name}': {nameof(options.ConnectionString)} is empty. Set {section}:{nameof(options.ConnectionString)}, " +
                $"or {section}:ConnectionName naming a ConnectionStrings entry, or {nameof(AzureTableGrainStorageOptions)}.{nameof(options.ConnectionString)} in code.");
        }
        else
        {
            try
            {
                // Parses the string without contacting the service, so a typo fails at start rather than at the first write.
                _ = new TableServiceClient(options.ConnectionString);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                problems.Add($"Azure Table grain storage '{name}': {nameof(options.ConnectionString)} is not a storage connection string ({e.Message}).");
            }
        }

        if (options.TableName is null || !TableNamePattern().IsMatch(options.TableName))
        {
            problems.Add($"Azure Table grain storage '{name}': {nameof(options.TableName)} '{options.TableName}' is not a table name " +
                "(3 to 63 letters and digits, starting with a letter).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableNamePattern();
}
