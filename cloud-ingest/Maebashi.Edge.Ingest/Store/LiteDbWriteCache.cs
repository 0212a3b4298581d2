using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>A tap held for the rules, with the id of the <c>units</c> document that stores it.</summary>
internal readonly record struct CachedTap(TapRecord Tap, long Document);

/// <summary>Where a tap dropped from memory is stored: its <c>units</c> document and key.</summary>
internal readonly record struct TapLocation(long Document, string Device, ulong Seq);

/// <summary>
/// A person's committed state, the entries not yet archived (never mutated once published), how many check-ins and
/// participations are stored, and how many <c>entries</c> documents hold the person's archived entries.
/// </summary>
/// <remarks>
/// <see cref="TripsChangedFrom"/>: in a unit not yet committed, the UTC ticks from which its evaluations changed the
/// person's trips (null: all of them), which is what the unit logs.
/// </remarks>
internal sealed record CachedPerson(PersonState State, int CheckIns, int Participations, IReadOnlyList<WalletEntry> RecentEntries, int ArchivedDocuments, long? TripsChangedFrom = null);

/// <summary>
/// What the write path reads, in memory: the facts the rules read per person (taps, trip ends, top-ups, the
/// stored state) and the de-duplication keys. Filled from the database at start and after each commit.
/// </summary>
/// <remarks>
/// LiteDB's index lookups cost milliseconds once a unit holds pending pages, so these are served from
/// memory; LiteDB stays the durable record. A multi-process store (PostgreSQL) reads them from the database
/// inside its transaction instead. Everything but the person states is touched only under the store's write
/// lock; the person states are written under it and read by any thread.
/// </remarks>
internal sealed class LiteDbWriteCache(int maxCachedTaps)
{
    private readonly Dictionary<string, HashSet<ulong>> _seqs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<CachedTap>> _tapsByPerson = new(StringComparer.Ordinal);

    // Persons whose taps were dropped from memory to keep it bounded, with the document holding each of those
    // taps: they are read back by primary key, which spares the taps a secondary index by person.
    private readonly Dictionary<string, List<TapLocation>> _evicted = new(StringComparer.Ordinal);
    private int _cachedTaps;
    private readonly Dictionary<string, List<TapRecord>> _tripEndsByVehicle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _boardsByVehicle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ValueChange>> _valueChangesByPerson = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedPerson> _persons = new(StringComparer.Ordinal);

    // The latest checkpoints of each person evaluated since the start (day order), or none: then the latest ones are
    // on disk only. Either way a list here holds the latest days of the person, which Checkpoint relies on.
    private readonly Dictionary<string, DayCheckpoint[]> _checkpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceProgress> _devices = new(StringComparer.Ordinal);

    public int PersonCount => _persons.Count;

    /// <summary>Every stored person's committed state (a copy of the moment: safe to enumerate while commits add persons).</summary>
    public IEnumerable<CachedPerson> Persons => _persons.Values;

    public bool IsStored(string device, ulong seq) => _seqs.TryGetValue(device, out HashSet<ulong>? seqs) && seqs.Contains(seq);

    public void AddTap(TapRecord t, long document)
    {
        if (!_seqs.TryGetValue(t.Device, out HashSet<ulong>? seqs))
        {
            _seqs[t.Device] = seqs = [];
        }

        seqs.Add(t.Seq);
        if (t.Pid is not null)
        {
            if (_evicted.TryGetValue(t.Pid, out List<TapLocation>? keys))
            {
                keys.Add(new TapLocation(document, t.Device, t.Seq));
            }
            else
            {
                AddInTimeOrder(t.Pid, new CachedTap(t, document));
                _cachedTaps++;
            }

            if (t.Type == EventTypes.Board && t.Vehicle is not null)
            {
                Add(_boardsByVehicle, t.Vehicle, t);
                List<TapRecord> boards = _boardsByVehicle[t.Vehicle];
                if (boards.Count > 4096 && boards.Count % 1024 == 0)
                {
                    // Boards only matter to a trip_end within 180 min of them; by a day later the clock has closed
                    // those trips with the same charge a trip_end would give. Pruned every 1,024 boards, so a
                    // vehicle with more than 4,096 boards in a day does not rescan its list at every tap.
                    DateTimeOffset newest = boards.Max(b => b.At);
                    boards.RemoveAll(b => b.At < newest.AddDays(-1));
                }
            }
        }
        else if (t.Type == EventTypes.TripEnd && t.Vehicle is not null)
        {
            // In time order (a late one inserted where it belongs): a read is a range, not every trip_end of the vehicle.
            if (!_tripEndsByVehicle.TryGetValue(t.Vehicle, out List<TapRecord>? ends))
            {
                _tripEndsByVehicle[t.Vehicle] = ends = new List<TapRecord>(4);
            }

            ends.Insert(FirstAtOrAfter(ends, t.At.UtcTicks + 1), t);
        }
    }

    /// <summary>Drops whole persons, oldest-added first (dictionary order), down to 90% of the limit.</summary>
    public void EvictIfOver()
    {
        if (_cachedTaps <= maxCachedTaps)
        {
            return;
        }

        var drop = new List<string>();
        int target = maxCachedTaps / 10 * 9;
        foreach ((string pid, List<CachedTap> taps) in _tapsByPerson)
        {
            if (_cachedTaps <= target)
            {
                break;
            }

            drop.Add(pid);
            _cachedTaps -= taps.Count;
        }

        foreach (string pid in drop)
        {
            _tapsByPerson.Remove(pid, out List<CachedTap>? taps);
            _evicted[pid] = [.. taps!.Select(t => new TapLocation(t.Document, t.Tap.Device, t.Tap.Seq))];
        }
    }

    /// <summary>
    /// The person's committed taps at or after <paramref name="from"/> (a new list the caller may add to): a binary
    /// search in the person's taps, kept in time order, so an evaluation copies only the days it replays. A person
    /// dropped from memory is read back with <paramref name="readBack"/> and cached again.
    /// </summary>
    public List<TapRecord> TapsOf(string pid, DateTimeOffset from, Func<List<TapLocation>, List<CachedTap>> readBack)
    {
        if (_evicted.Remove(pid, out List<TapLocation>? keys))
        {
            List<CachedTap> loaded = readBack(keys);
            loaded.Sort(static (a, b) => a.Tap.At.UtcTicks.CompareTo(b.Tap.At.UtcTicks));
            _tapsByPerson[pid] = loaded;
            _cachedTaps += loaded.Count;
        }

        if (!_tapsByPerson.TryGetValue(pid, out List<CachedTap>? cached))
        {
            return [];
        }

        int first = FirstAtOrAfter(cached, from.UtcTicks);
        var result = new List<TapRecord>(cached.Count - first + 4);
        for (int i = first; i < cached.Count; i++)
        {
            result.Add(cached[i].Tap);
        }

        return result;
    }

    private static int FirstAtOrAfter(List<CachedTap> taps, long ticks)
    {
        int lo = 0, hi = taps.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (taps[mid].Tap.At.UtcTicks < ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    // Taps mostly arrive in time order (an append); a late one is inserted where it belongs.
    private void AddInTimeOrder(string pid, CachedTap tap)
    {
        if (!_tapsByPerson.TryGetValue(pid, out List<CachedTap>? list))
        {
            _tapsByPerson[pid] = list = new List<CachedTap>(4);
        }

        long ticks = tap.Tap.At.UtcTicks;
        if (list.Count == 0 || list[^1].Tap.At.UtcTicks <= ticks)
        {
            list.Add(tap);
            return;
        }

        list.Insert(FirstAtOrAfter(list, ticks + 1), tap);
    }

    /// <summary>The person's latest checkpoints in memory (day order), or null when none were written since the start.</summary>
    public DayCheckpoint[]? RecentCheckpoints(string pid) => _checkpoints.GetValueOrDefault(pid);

    /// <summary>After a commit: the person's latest checkpoints are the newest of those held and those written.</summary>
    public void AddCheckpoints(string pid, IEnumerable<DayCheckpoint> written) =>
        _checkpoints[pid] = Latest(_checkpoints.GetValueOrDefault(pid) ?? [], written);

    /// <summary>The newest <see cref="LiteDbLayout.CheckpointsInMemory"/> of two lists, a day written later replacing the same day held.</summary>
    public static DayCheckpoint[] Latest(IEnumerable<DayCheckpoint> held, IEnumerable<DayCheckpoint> written)
    {
        var byDay = new SortedDictionary<DateOnly, DayCheckpoint>();
        foreach (DayCheckpoint c in held.Concat(written))
        {
            byDay[c.Day] = c;
        }

        return [.. byDay.Values.Skip(Math.Max(0, byDay.Count - LiteDbLayout.CheckpointsInMemory))];
    }

    /// <summary>The vehicle's committed trip_ends with <c>from ≤ at ≤ to</c>.</summary>
    public IEnumerable<TapRecord> TripEndsOf(string vehicle, DateTimeOffset from, DateTimeOffset to)
    {
        if (!_tripEndsByVehicle.TryGetValue(vehicle, out List<TapRecord>? cached))
        {
            yield break;
        }

        for (int i = FirstAtOrAfter(cached, from.UtcTicks); i < cached.Count && cached[i].At <= to; i++)
        {
            yield return cached[i];
        }
    }

    private static int FirstAtOrAfter(List<TapRecord> taps, long ticks)
    {
        int lo = 0, hi = taps.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (taps[mid].At.UtcTicks < ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    public IEnumerable<TapRecord> BoardsOf(string vehicle) => _boardsByVehicle.TryGetValue(vehicle, out List<TapRecord>? cached) ? cached : [];

    public void AddValueChange(string pid, ValueChange topUp) => Add(_valueChangesByPerson, pid, topUp);

    /// <summary>The person's committed top-ups (a new list the caller may add to).</summary>
    public List<ValueChange> ValueChangesOf(string pid) => _valueChangesByPerson.TryGetValue(pid, out List<ValueChange>? cached) ? [.. cached] : [];

    public bool TryGetPerson(string pid, [MaybeNullWhen(false)] out CachedPerson person) => _persons.TryGetValue(pid, out person);

    public void SetPerson(string pid, CachedPerson person) => _persons[pid] = person;

    public DeviceProgress? GetDevice(string device) => _devices.TryGetValue(device, out DeviceProgress? p) ? p : null;

    public void SetDevice(DeviceProgress progress) => _devices[progress.Device] = progress;

    private static void Add<T>(Dictionary<string, List<T>> d, string key, T value)
    {
        if (!d.TryGetValue(key, out List<T>? list))
        {
            d[key] = list = new List<T>(4);
        }

        list.Add(value);
    }
}
