using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Background upkeep on the host's clock: once at start, then every <see cref="Interval"/>; a failed tick is logged
/// and tried again at the next one. The loop ends with the host (or when its start failed after this one had).
/// </summary>
public abstract class PeriodicUpkeep(TimeProvider time, ILogger logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    protected abstract TimeSpan Interval { get; }

    /// <summary>What a tick does, as its failure is logged ("Closing trips by the clock").</summary>
    protected abstract string What { get; }

    protected abstract void RunOnce();

    /// <summary>
    /// Whether a failure of the tick at start (run before the start returns) fails the start; when false it is logged
    /// like any tick's and tried again at the next one.
    /// </summary>
    protected virtual bool StartFailsOnError => true;

    protected ILogger Logger => logger;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (StartFailsOnError)
        {
            RunOnce();
        }
        else
        {
            RunLogged();
        }

        TimeSpan interval = Interval;
        _loop = Task.Run(() => LoopAsync(interval), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                RunLogged();
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private void RunLogged()
    {
        try
        {
            RunOnce();
        }
        catch (Exception e)
        {
            logger.LogError(e, "{What} failed; retrying at the next tick", What);
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
        GC.SuppressFinalize(this);
    }
}
