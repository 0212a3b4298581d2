using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Purges quarantine records past the retention (<see cref="IngestOptions.QuarantineRetention"/>) as background upkeep:
/// once at start, then every <see cref="IngestOptions.QuarantinePurgeInterval"/> on the host's clock, never in a request.
/// </summary>
public sealed class QuarantineUpkeep(IOptions<IngestOptions> options, IngestPipeline pipeline, TimeProvider time, ILogger<QuarantineUpkeep> logger)
    : PeriodicUpkeep(time, logger)
{
    protected override TimeSpan Interval => options.Value.QuarantinePurgeInterval;

    protected override string What => "Purging the quarantine";

    protected override void RunOnce()
    {
        int n = pipeline.PurgeQuarantine();
        if (n > 0)
        {
            Logger.LogInformation("Purged {Records} quarantine records past the retention of {Retention}", n, options.Value.QuarantineRetention);
        }
    }

    /// <summary>A purge that fails at start does not keep the ingest from starting: the next tick tries again.</summary>
    protected override bool StartFailsOnError => false;
}
