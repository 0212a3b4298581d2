using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Purges quarantine records past the retention (<see cref="IngestOptions.QuarantineRetention"/>) as background upkeep:
/// once at start, then every <see cref="IngestOptions.QuarantinePurgeInterval"/> on the host's clock, never in a request.
/// </summary>
public sealed class QuarantineUpkeep(IOptions<IngestOptions> options, IngestPipeline pipeline, TimeProvider time, ILogger<QuarantineUpkeep> logger)
    : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Purge();
        _loop = Task.Run(() => LoopAsync(options.Value.QuarantinePurgeInterval), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                Purge();
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private void Purge()
    {
        try
        {
            int n = pipeline.PurgeQuarantine();
            if (n > 0)
            {
                logger.LogInformation("Purged {Records} quarantine records past the retention of {Retention}", n, options.Value.QuarantineRetention);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Purging the quarantine failed; retrying at the next tick");
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
