using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using BitFaster.Caching.Lru;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A person's committed state (balances, no history), the entries not yet archived (never mutated once published), how
/// many check-ins and participations are stored (null: not known), and how many <c>entries</c> documents hold the
/// person's archived entries.
/// </summary>
/// <remarks>
/// <see cref="ArchivedEntries"/>: how many entries those documents hold (the person's entries are numbered from 1 in the
/// order recorded: the archived ones first, then the recent ones), which is what a page of entries is found by.
/// <see cref="LastValueChange"/>: UTC ticks of the person's latest stored top-up or adjustment (<see cref="long.MinValue"/>:
/// none), so that an evaluation replaying days after it reads none (most riders' last top-up is days or months back).
/// </remarks>
internal sealed record CachedPerson(PersonState State, int? CheckIns, int? Participations, HeldEntries RecentEntries, int ArchivedDocuments, int ArchivedEntries, long LastValueChange);

/// <summary>
/// What the write path reads, in memory: a bounded working set of the facts the rules read and the results they replace
/// (each person's taps and settled days of their latest days, vehicles' days, the de-duplication blocks of the devices'
/// latest seqs, the last day's boards), the top-ups and the stored states (balances, latest entries and checkpoints; no trips or postings). Caches bounded by count (least recently used out) in front of the database
/// (<see cref="LiteDbDayTaps"/>); filled from it on a miss and after each commit.
/// </summary>
/// <remarks>
/// LiteDB's index lookups cost more once a unit holds pending pages, so the lookups a unit of the current day needs are
/// served from memory; LiteDB stays the durable record. A multi-process store (PostgreSQL) reads them from the database
/// inside its transaction instead. Everything but the person states is touched only under the store's write lock (a
/// cache filled by a unit holds committed state only: a unit's own writes go in at <see cref="LiteDbUnitOfWork.Publish"/>);
/// the person states are written under it and read by any thread.
/// </remarks>
internal sealed class LiteDbWriteCache(int capacity)
{
    /// <summary>
    /// Service days of taps (and of settlements) a person keeps in memory: a new tap reads from its day's checkpoint,
    /// usually today's or the last day with facts, that one day. A second day held 72 MiB more on the one-year store
    /// and saved no time measured (docs/benchmarks.md, session 15).
    /// </summary>
    private const int PersonDaysKept = 1;

    private readonly PersonDayWindow<List<TapRecord>> _personTaps = new(capacity, PersonDaysKept);
    private readonly ConcurrentLru<string, List<TapRecord>> _otherDays = new(1, capacity, StringComparer.Ordinal);
    private readonly ConcurrentLru<string, byte[]> _seqBlocks = new(1, capacity, StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _boardsByVehicle = new(StringComparer.Ordinal);
    private readonly ConcurrentLru<string, HeldValueChanges> _valueChanges = new(1, capacity, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedPerson> _persons = new(StringComparer.Ordinal);

    // The latest checkpoints of the persons evaluated last (day order), or none: then the latest ones are on disk only.
    // Either way a list here holds the latest days of the person, which Checkpoint relies on. Bounded like the other
    // caches: every person's checkpoints in memory grew with the population (a year's store: ~1 KiB a person).
    private readonly ConcurrentLru<string, DayCheckpoint[]> _checkpoints = new(1, capacity, StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceProgress> _devices = new(StringComparer.Ordinal);

    public int PersonCount => _persons.Count;

    /// <summary>Every stored person's committed state (a copy of the moment: safe to enumerate while commits add persons).</summary>
    public IEnumerable<CachedPerson> Persons => _persons.Values;

    /// <summary>The committed de-duplication block (<see cref="LiteDbDayTaps.SeqBlock"/>): the caller must not change it.</summary>
    public byte[] SeqBlock(string id, Func<string, byte[]> read)
    {
        if (!_seqBlocks.TryGet(id, out byte[]? block))
        {
            _seqBlocks.AddOrUpdate(id, block = read(id));
        }

        return block;
    }

    /// <summary>After a commit: the block as written.</summary>
    public void PutSeqBlock(string id, byte[] block) => _seqBlocks.AddOrUpdate(id, block);

    /// <summary>The person's committed settled days (trips and postings; <see cref="LiteDbSettlements"/>), latest days in memory.</summary>
    public PersonDayWindow<SettledDay> Settlements { get; } = new(capacity, PersonDaysKept);

    /// <summary>Which service days' settlements changed since the store opened (<see cref="IIngestStore.TripsVersion"/>).</summary>
    public SettledDayVersions DayVersions { get; } = new();

    /// <summary>
    /// The person's committed taps at or after <paramref name="from"/> (a new list the caller may add to): the days held,
    /// with the days before them the evaluation replays read from the database first (a range of the primary key).
    /// </summary>
    public List<TapRecord> TapsOf(string pid, DateTimeOffset from, Func<DateOnly, DateOnly?, IEnumerable<(DateOnly Day, List<TapRecord> Taps)>> read)
    {
        var result = new List<TapRecord>();
        foreach ((DateOnly _, List<TapRecord> taps) in _personTaps.From(pid, LiteDbDayTaps.ServiceDayOf(from), read))
        {
            foreach (TapRecord t in taps)
            {
                if (t.At >= from)
                {
                    result.Add(t);
                }
            }
        }

        return result;
    }

    /// <summary>Holds the person's latest days with taps and with settlements when none are held (what a new tap's evaluation reads).</summary>
    public void PreloadLatestDays(string pid, Func<int, List<(DateOnly Day, List<TapRecord> Taps)>> taps, Func<int, List<(DateOnly Day, SettledDay Settled)>> settled)
    {
        _personTaps.PreloadLatest(pid, taps);
        Settlements.PreloadLatest(pid, settled);
    }

    /// <summary>Holds a person known to have no taps, no settled days and no top-ups stored (no state): nothing to read for them.</summary>
    public void HoldNoHistory(string pid)
    {
        _personTaps.HoldNone(pid);
        Settlements.HoldNone(pid);
        _valueChanges.AddOrUpdate(pid, new HeldValueChanges(DateTimeOffset.MinValue, []));
    }

    /// <summary>The person's committed taps of one day when held (null: not in memory, read it).</summary>
    public List<TapRecord>? HeldDay(string pid, DateOnly day) => _personTaps.TryGetDay(pid, day, out List<TapRecord>? taps) ? taps ?? [] : null;

    /// <summary>After a commit: the person's days of taps as written (see <see cref="PersonDayWindow{T}.Put"/>).</summary>
    public void PutPersonDays(string pid, IReadOnlyDictionary<DateOnly, List<TapRecord>> written) =>
        _personTaps.Put(pid, written.Select(d => new KeyValuePair<DateOnly, List<TapRecord>?>(d.Key, d.Value)));

    /// <summary>After a retention purge: no day of taps is held (the next reads go to the database).</summary>
    public void ForgetDays()
    {
        _personTaps.Clear();
        _otherDays.Clear();
    }

    /// <summary>A vehicle's (or device's) committed taps of one day document, read on a miss: the caller must not change the list.</summary>
    public List<TapRecord> OtherDay(string id, Func<string, List<TapRecord>> read)
    {
        if (!_otherDays.TryGet(id, out List<TapRecord>? taps))
        {
            _otherDays.AddOrUpdate(id, taps = read(id));
        }

        return taps;
    }

    /// <summary>After a commit: the day document as written.</summary>
    public void PutOtherDay(string id, List<TapRecord> taps) => _otherDays.AddOrUpdate(id, taps);

    /// <summary>A committed board on a vehicle: kept for the trip_ends of the vehicle that may follow within the day.</summary>
    public void AddBoard(TapRecord t)
    {
        Add(_boardsByVehicle, t.Vehicle!, t);
        List<TapRecord> boards = _boardsByVehicle[t.Vehicle!];
        if (boards.Count > 4096 && boards.Count % 1024 == 0)
        {
            // Boards only matter to a trip_end within 180 min of them; by a day later the clock has closed those
            // trips with the same charge a trip_end would give. Pruned every 1,024 boards, so a vehicle with more
            // than 4,096 boards in a day does not rescan its list at every tap.
            DateTimeOffset newest = boards.Max(b => b.At);
            boards.RemoveAll(b => b.At < newest.AddDays(-1));
        }
    }

    /// <summary>The person's latest checkpoints in memory (day order), or null when none were written since the start.</summary>
    public DayCheckpoint[]? RecentCheckpoints(string pid) => _checkpoints.TryGet(pid, out DayCheckpoint[]? held) ? held : null;

    /// <summary>After a commit: the person's latest checkpoints are the newest of those held and those written.</summary>
    public void AddCheckpoints(string pid, IEnumerable<DayCheckpoint> written) =>
        _checkpoints.AddOrUpdate(pid, Latest(RecentCheckpoints(pid) ?? [], written));

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

    public IEnumerable<TapRecord> BoardsOf(string vehicle) => _boardsByVehicle.TryGetValue(vehicle, out List<TapRecord>? cached) ? cached : [];

    /// <summary>After a commit: the person's top-ups and adjustments, when held from before the change, gain the one stored.</summary>
    public void AddValueChange(string pid, ValueChange change)
    {
        if (_valueChanges.TryGet(pid, out HeldValueChanges? held) && change.At >= held.Since)
        {
            _valueChanges.AddOrUpdate(pid, held with { Changes = [.. held.Changes, change] });
        }
    }

    /// <summary>
    /// The person's committed top-ups and adjustments with <c>at ≥ from</c> (a new list the caller may add to): from
    /// memory when held from that instant or earlier, else read by <paramref name="read"/> (a range of the index on
    /// person and time) and held from it.
    /// </summary>
    public List<ValueChange> ValueChangesOf(string pid, DateTimeOffset from, Func<string, DateTimeOffset, List<ValueChange>> read)
    {
        if (_valueChanges.TryGet(pid, out HeldValueChanges? held) && held.Since <= from)
        {
            return [.. held.Changes.Where(c => c.At >= from)];
        }

        List<ValueChange> changes = read(pid, from);
        _valueChanges.AddOrUpdate(pid, new HeldValueChanges(from, changes));
        return [.. changes];
    }

    /// <summary>A person's committed top-ups and adjustments from <see cref="Since"/> on.</summary>
    private sealed record HeldValueChanges(DateTimeOffset Since, List<ValueChange> Changes);

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
