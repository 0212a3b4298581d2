using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// The first hosted service: taking the registry and the operators loads them (DI singletons), so that a
/// registry with problems or a bad operators file stops the start before the store is opened or anything listens.
/// A valid operators file then opens the store and becomes its operators (<see cref="OperatorDirectory.Load"/>).
/// </summary>
internal sealed class StartupLoad(CityRegistry registry, OperatorDirectory operators, ILogger<StartupLoad> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("{Operators} operator(s) for {Devices} devices{Generated}",
            operators.Operators.Count, registry.Devices.Count(), operators.GeneratedAdminToken is null ? "" : " (an admin token made at start)");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
