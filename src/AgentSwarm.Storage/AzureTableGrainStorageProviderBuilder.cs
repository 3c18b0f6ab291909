using AgentSwarm.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Storage;

[assembly: RegisterProvider(AzureTableGrainStorageProviderBuilder.ProviderType, "GrainStorage", "Silo", typeof(AzureTableGrainStorageProviderBuilder))]

namespace AgentSwarm.Storage;

/// <summary>
/// Registers the Azure Table provider from configuration, the way Orleans' own providers do:
/// <c>Orleans:GrainStorage:&lt;name&gt;:ProviderType=AzureTableStorage</c> with <c>ConnectionString</c>, or
/// <c>ConnectionName</c> naming a <c>ConnectionStrings</c> entry; optionally <c>TableName</c>, <c>Compress</c> and
/// <c>SerializerKey</c> (a keyed <see cref="IGrainStorageSerializer"/>).
/// </summary>
internal sealed class AzureTableGrainStorageProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    public const string ProviderType = "AzureTableStorage";

    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
    {
        var providerName = string.IsNullOrEmpty(name) ? ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME : name;
        builder.AddAzureTableGrainStorage(providerName, (Microsoft.Extensions.Options.OptionsBuilder<AzureTableGrainStorageOptions> options) =>
            options.Configure<IServiceProvider>((settings, services) =>
            {
                var connectionString = configurationSection["ConnectionString"];
                var connectionName = configurationSection["ConnectionName"];
                if (string.IsNullOrEmpty(connectionString) && !string.IsNullOrEmpty(connectionName))
                {
                    connectionString = services.GetRequiredService<IConfiguration>().GetConnectionString(connectionName);
                }

                if (!string.IsNullOrEmpty(connectionString))
                {
                    settings.ConnectionString = connectionString;
                }

                if (configurationSection["TableName"] is { Length: > 0 } tableName)
                {
                    settings.TableName = tableName;
                }

                if (configurationSection.GetValue<bool?>("Compress") is { } compress)
                {
                    settings.Compress = compress;
                }

                if (configurationSection["SerializerKey"] is { Length: > 0 } serializerKey)
                {
                    settings.GrainStorageSerializer = services.GetRequiredKeyedService<IGrainStorageSerializer>(serializerKey);
                }
            }));
    }
}
