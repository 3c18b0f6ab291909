using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;

namespace AgentSwarm.Storage;

public static class AzureTableGrainStorageExtensions
{
    /// <summary>
    /// Registers an Azure Table grain storage provider named <paramref name="name"/> (as in
    /// <c>[PersistentState("state", name)]</c>). Its settings are checked when the silo starts, and its table is
    /// created then when missing. Configuration does the same with
    /// <c>Orleans:GrainStorage:&lt;name&gt;:ProviderType=AzureTableStorage</c>.
    /// </summary>
    public static ISiloBuilder AddAzureTableGrainStorage(this ISiloBuilder builder, string name, Action<AzureTableGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.AddAzureTableGrainStorage(name, options => options.Configure(configure));
    }

    internal static ISiloBuilder AddAzureTableGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<AzureTableGrainStorageOptions>> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var services = builder.Services;
        configure(services.AddOptions<AzureTableGrainStorageOptions>(name).ValidateOnStart());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AzureTableGrainStorageOptions>, AzureTableGrainStorageOptionsValidator>());
        services.AddGrainStorage(name, AzureTableGrainStorage.Create);
        return builder;
    }
}
