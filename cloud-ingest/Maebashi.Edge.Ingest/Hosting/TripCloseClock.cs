using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Closes trips left open past board + 180 minutes: once at start (a restart catches up at once, before the
/// start returns), then every <see cref="IngestOptions.CloseInterval"/> on the host's clock.
/// </summary>
public sealed class TripCloseClock(IOptions<IngestOptions> options, IngestPipeline pipeline, TimeProvider time, ILogger<TripCloseClock> logger)
    : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        pipeline.CloseDueTrips();
        _loop = Task.Run(() => LoopAsync(options.Value.CloseInterval), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    int n = pipeline.CloseDueTrips();
                    if (n > 0)
                    {
                        logger.LogInformation("Clock re-evaluated {Persons} persons with trips open past board + 180 min", n);
                    }
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Closing trips by the clock failed; retrying at the next tick");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    /// <summary>Ends the loop also when the host failed to start after this service had (StopAsync is not called then).</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
