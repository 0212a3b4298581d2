using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>A person's every trip, oldest first, read as a reader does: page by page (<see cref="IIngestStore.TripsPage"/>).</summary>
internal static class StoreTrips
{
    public static IReadOnlyList<Trip> AllTrips(this IIngestStore store, string pid)
    {
        var newestFirst = new List<Trip>();
        DateOnly? before = null;
        do
        {
            TripPage page = store.TripsPage(pid, before, 7);
            newestFirst.AddRange(page.Items);
            before = page.Next;
        }
        while (before is not null);

        newestFirst.Reverse();
        return newestFirst;
    }
}
