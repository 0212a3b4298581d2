using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Purges raw taps past the retention (<see cref="IngestOptions.TapRetentionYears"/>, <see cref="TapRetention"/>) as
/// background upkeep: once at start, then every <see cref="IngestOptions.TapPurgeInterval"/> on the host's clock, in
/// short units, never in a request.
/// </summary>
public sealed class TapRetentionUpkeep(IOptions<IngestOptions> options, IIngestStore store, TimeProvider time, ILogger<TapRetentionUpkeep> logger)
    : PeriodicUpkeep(time, logger)
{
    private readonly TimeProvider _time = time;

    protected override TimeSpan Interval => options.Value.TapPurgeInterval;

    protected override string What => "Purging taps past the retention";

    protected override void RunOnce()
    {
        long n = TapRetention.Purge(store, _time.GetUtcNow(), options.Value.TapRetentionYears);
        if (n > 0)
        {
            Logger.LogInformation("Purged {Taps} taps of service days more than {Years} years ago", n, options.Value.TapRetentionYears);
        }
    }

    /// <summary>A purge that fails at start does not keep the ingest from starting: the next tick tries again.</summary>
    protected override bool StartFailsOnError => false;
}
