using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using Layout = Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

// The read side of a person's history and of a day: entries and trips page by page, a day's trips for the reports.
public sealed partial class LiteDbIngestStore
{
    public IReadOnlyList<WalletEntry> EntriesOf(string pid)
    {
        // The committed state as of now: its recent entries and the archive documents written before them (ids
        // rise). A document archived after this read holds these recent entries again, so it is not read; two equal
        // entries (the same adjustment twice at one instant) are two entries, so nothing is de-duplicated.
        if (!_cache.TryGetPerson(pid, out CachedPerson? p))
        {
            return [];
        }

        IEnumerable<WalletEntry> archivedEntries = _db.GetCollection(Layout.Entries).Find(LiteDbQuery.EQ("p", pid))
            .OrderBy(d => d["_id"].AsObjectId).Take(p.ArchivedDocuments)
            .SelectMany(d => d["e"].AsArray).Select(e => LiteDbMapping.ReadEntry(pid, e.AsDocument));
        List<WalletEntry> recent = p.RecentEntries.Unpack(pid);
        return [.. archivedEntries.Concat(recent).OrderBy(e => e.RecordedAt)];
    }

    /// <remarks>
    /// The committed state as of now: entries numbered above the person's archived ones are those kept with the state (in
    /// memory), the others are in the archive documents whose first number is at most the page's newest (a backward range
    /// of the index on <c>pn</c>). The cursor is the number of the page's oldest entry.
    /// </remarks>
    public WalletEntryPage EntriesPage(string pid, long? before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (!_cache.TryGetPerson(pid, out CachedPerson? p))
        {
            return new WalletEntryPage([], null, 0);
        }

        List<WalletEntry> recent = p.RecentEntries.Unpack(pid);
        long total = p.ArchivedEntries + recent.Count;
        long n = Math.Min(before ?? long.MaxValue, total + 1) - 1;
        var items = new List<WalletEntry>(limit);
        for (; n > p.ArchivedEntries && items.Count < limit; n--)
        {
            items.Add(recent[(int)(n - p.ArchivedEntries - 1)]);
        }

        if (n >= 1 && items.Count < limit)
        {
            foreach (BsonDocument d in _db.GetCollection(Layout.Entries).Query()
                .Where(LiteDbQuery.Between("pn", LiteDbMapping.EntryNumberKey(pid, 1), LiteDbMapping.EntryNumberKey(pid, n)))
                .OrderByDescending("pn")
                .ToEnumerable())
            {
                int first = d["n"].AsInt32;
                BsonArray e = d["e"].AsArray;
                for (; n >= first && items.Count < limit; n--)
                {
                    items.Add(LiteDbMapping.ReadEntry(pid, e[(int)(n - first)].AsDocument));
                }

                if (items.Count == limit)
                {
                    break;
                }
            }
        }

        return new WalletEntryPage(items, n >= 1 && items.Count > 0 ? n + 1 : null, total);
    }

    /// <summary>The day's settled documents (index on <c>dy</c>): the day's riders, whatever the history's length.</summary>
    public IEnumerable<(string Pid, Trip Trip)> TripsOn(string serviceDay)
    {
        foreach ((string pid, List<Trip> trips) in LiteDbSettlements.TripsOnDay(_db, ServiceDay(serviceDay)))
        {
            foreach (Trip t in trips)
            {
                if (string.Equals(t.ServiceDay, serviceDay, StringComparison.Ordinal))
                {
                    yield return (pid, t);
                }
            }
        }
    }

    /// <summary>The LiteDB store has one writer, this process: its units move the day's version after they commit.</summary>
    public long? TripsVersion(string serviceDay) => _cache.DayVersions.Of(ServiceDay(serviceDay));

    private static DateOnly ServiceDay(string serviceDay) =>
        DateOnly.ParseExact(serviceDay, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A backward range of the person's settled days: the page's days and one more (whether a page follows).</summary>
    public TripPage TripsPage(string pid, DateOnly? before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var items = new List<Trip>();
        DateOnly? oldest = null;
        foreach ((DateOnly day, SettledDay settled) in LiteDbSettlements.Before(_db, pid, before ?? DateOnly.MaxValue))
        {
            if (settled.Trips.Count == 0)
            {
                continue;
            }

            if (items.Count >= limit)
            {
                return new TripPage(items, oldest);
            }

            items.AddRange(Enumerable.Reverse(settled.Trips));
            oldest = day;
        }

        return new TripPage(items, null);
    }
}
