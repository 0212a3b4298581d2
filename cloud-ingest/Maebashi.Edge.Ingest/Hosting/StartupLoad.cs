using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Microsoft.Extensions.Hosting;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// The first hosted service: loads the registry and the operators, so that a registry with problems or a
/// bad operators file stops the start before the store is opened or anything listens.
/// </summary>
internal sealed class StartupLoad(CityRegistry registry, OperatorDirectory operators) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Both are loaded by resolving them (DI singletons); holding them here keeps that resolution first.
        GC.KeepAlive(registry);
        GC.KeepAlive(operators);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
