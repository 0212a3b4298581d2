using BitFaster.Caching.Lru;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Web.Transport;

/// <summary>
/// The transport report of a service day, computed from the day's trips once and kept until a unit changes that day
/// (<see cref="IIngestStore.TripsVersion"/>): a past day is read once however often operators open it, while today's is
/// read again after each change. A day of a city's riders is ~25,000 documents; the reports kept are a month's, each the
/// size of the network (routes × stops), not of the riders. A store that cannot tell when a day changed is read each time.
/// </summary>
public sealed class TransportReports(IIngestStore store)
{
    /// <summary>Days kept: a month of days looked at in turn stays in memory.</summary>
    public const int DaysKept = 32;

    private readonly ConcurrentLru<string, (long Version, TransportReport Report)> _kept = new(1, DaysKept, StringComparer.Ordinal);

    /// <summary>The report of <paramref name="serviceDay"/> (<c>yyyy-MM-dd</c>) as the store holds it now.</summary>
    public TransportReport For(string serviceDay)
    {
        // Read before the trips: a unit committed while they are read moves the version past the one kept with them.
        long? version = store.TripsVersion(serviceDay);
        if (version is { } v && _kept.TryGet(serviceDay, out (long Version, TransportReport Report) kept) && kept.Version == v)
        {
            return kept.Report;
        }

        TransportReport report = TransportReport.Of(serviceDay, store.TripsOn(serviceDay));
        if (version is { } read)
        {
            _kept.AddOrUpdate(serviceDay, (read, report));
        }

        return report;
    }
}
