using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Closes trips left open past board + 180 minutes: once at start (a restart catches up at once, before the
/// start returns), then every <see cref="IngestOptions.CloseInterval"/> on the host's clock.
/// </summary>
public sealed class TripCloseClock(IOptions<IngestOptions> options, IngestPipeline pipeline, TimeProvider time, ILogger<TripCloseClock> logger)
    : PeriodicUpkeep(time, logger)
{
    protected override TimeSpan Interval => options.Value.CloseInterval;

    protected override string What => "Closing trips by the clock";

    protected override void RunOnce()
    {
        int n = pipeline.CloseDueTrips();
        if (n > 0)
        {
            Logger.LogInformation("Clock re-evaluated {Persons} persons with trips open past board + 180 min", n);
        }
    }
}
