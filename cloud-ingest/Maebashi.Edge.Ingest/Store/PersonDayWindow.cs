using BitFaster.Caching.Lru;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A person's day documents of one kind held in memory: every service day from <see cref="CompleteFrom"/> on (days
/// without a document absent). Replaced, never changed, once published.
/// </summary>
internal sealed record HeldDays<T>(DateOnly CompleteFrom, SortedList<DateOnly, T> Days);

/// <summary>
/// The latest day documents of each person of the working set (their taps, or their trips and postings), bounded by
/// count of persons (least recently used out) and by <paramref name="daysKept"/> days with a document per person: what
/// an evaluation from the latest checkpoint reads. An older day, or a person not held, is read from the database.
/// </summary>
/// <remarks>Written only under the store's write lock, after a commit: a window holds committed documents only.</remarks>
internal sealed class PersonDayWindow<T>(int capacity, int daysKept)
    where T : class
{
    private readonly ConcurrentLru<string, HeldDays<T>> _held = new(1, capacity, StringComparer.Ordinal);

    /// <summary>
    /// The person's documents of <paramref name="from"/> on, in day order: the days held, with the days before them read
    /// by <paramref name="read"/> (first day, last day or null for every later one) and held from then on.
    /// </summary>
    public IEnumerable<KeyValuePair<DateOnly, T>> From(string pid, DateOnly from, Func<DateOnly, DateOnly?, IEnumerable<(DateOnly Day, T Document)>> read)
    {
        if (!_held.TryGet(pid, out HeldDays<T>? held) || held.CompleteFrom > from)
        {
            var days = new SortedList<DateOnly, T>(held?.Days ?? []);
            foreach ((DateOnly day, T document) in read(from, held?.CompleteFrom.AddDays(-1)))
            {
                days[day] = document;
            }

            _held.AddOrUpdate(pid, held = new HeldDays<T>(from, days));
        }

        return held.Days.Where(d => d.Key >= from);
    }

    /// <summary>
    /// Holds the person's latest days with a document when none are held, read by <paramref name="readLatest"/>
    /// (the latest n, newest first): what a new fact's evaluation reads, unless a late one goes further back.
    /// </summary>
    public void PreloadLatest(string pid, Func<int, List<(DateOnly Day, T Document)>> readLatest)
    {
        if (_held.TryGet(pid, out _))
        {
            return;
        }

        List<(DateOnly Day, T Document)> latest = readLatest(daysKept);
        var days = new SortedList<DateOnly, T>(latest.Count);
        foreach ((DateOnly day, T document) in latest)
        {
            days[day] = document;
        }

        // Fewer days than asked for: those are all the person has.
        _held.AddOrUpdate(pid, new HeldDays<T>(latest.Count < daysKept ? DateOnly.MinValue : days.Keys[0], days));
    }

    /// <summary>Holds a person known to have no document stored: nothing to read for them.</summary>
    public void HoldNone(string pid) => _held.AddOrUpdate(pid, new HeldDays<T>(DateOnly.MinValue, []));

    /// <summary>Whether the person's day is held: then <paramref name="document"/> is its document, or null when it has none.</summary>
    public bool TryGetDay(string pid, DateOnly day, out T? document)
    {
        document = null;
        if (!_held.TryGet(pid, out HeldDays<T>? held) || held.CompleteFrom > day)
        {
            return false;
        }

        document = held.Days.GetValueOrDefault(day);
        return true;
    }

    /// <summary>
    /// After a commit: the person's days as written (null: the day's document removed). Only the latest days kept stay
    /// in memory; a person not held stays so (the next evaluation reads the days it replays).
    /// </summary>
    public void Put(string pid, IEnumerable<KeyValuePair<DateOnly, T?>> written)
    {
        if (!_held.TryGet(pid, out HeldDays<T>? held))
        {
            return;
        }

        var days = new SortedList<DateOnly, T>(held.Days);
        DateOnly completeFrom = held.CompleteFrom;
        foreach ((DateOnly day, T? document) in written)
        {
            if (day < completeFrom)
            {
                continue;
            }

            if (document is null)
            {
                days.Remove(day);
            }
            else
            {
                days[day] = document;
            }
        }

        // The days between a dropped day and the next one held have no document: the window stays complete.
        while (days.Count > daysKept)
        {
            days.RemoveAt(0);
            completeFrom = days.Keys[0];
        }

        _held.AddOrUpdate(pid, new HeldDays<T>(completeFrom, days));
    }

    /// <summary>Drops every person's days (the next reads go to the database).</summary>
    public void Clear() => _held.Clear();
}
