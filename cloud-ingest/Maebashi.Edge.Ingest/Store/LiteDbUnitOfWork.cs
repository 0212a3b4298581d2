using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// One unit of work inside the LiteDB transaction of <see cref="LiteDbIngestStore.Write{T}"/>: reads the
/// committed state from the <see cref="LiteDbWriteCache"/> (which reads the database on a miss) plus what this unit
/// added, writes the unit's taps and persons as a few documents before the commit (<see cref="WriteDocuments"/>) and,
/// after the commit, hands what it wrote to the cache (<see cref="Publish"/>). A person's trips and postings are kept by
/// service day (<see cref="LiteDbSettlements"/>): a unit rewrites the days its evaluations changed.
/// </summary>
/// <param name="firstPersonLogDocument">Id of this unit's first <c>personlog</c> document.</param>
internal sealed partial class LiteDbUnitOfWork(LiteDatabase db, LiteDbWriteCache cache, long firstPersonLogDocument) : IIngestWrite
{
    private readonly List<TapRecord> _newTaps = [];

    // This unit's taps by person: a unit of a group commit holds hundreds of persons and taps, so scanning
    // _newTaps once per evaluated person grew with the square of the group's size.
    private readonly Dictionary<string, List<TapRecord>> _newTapsByPerson = new(StringComparer.Ordinal);
    private readonly HashSet<(string, ulong)> _newKeys = [];

    // This unit's trip_ends and boards by vehicle: each evaluated person looks up the vehicles they boarded.
    private readonly Dictionary<string, List<TapRecord>> _newTripEnds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _newBoards = new(StringComparer.Ordinal);
    private readonly List<(string Pid, ValueChange Change)> _newValueChanges = [];
    private readonly Dictionary<string, CachedPerson> _newPersons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceProgress> _newDevices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DayCheckpoint[]> _newCheckpoints = new(StringComparer.Ordinal);

    // The persons' day documents this unit changes (taps, settled days, checkpoints), written in WriteDocuments.
    private readonly PersonDayChanges _personDays = new(db, cache);

    // Persons whose first state this unit writes: none of their checkpoints is stored yet.
    private readonly HashSet<string> _firstStates = new(StringComparer.Ordinal);

    // The settled days this unit's evaluations changed, by person and day (null Day: the day's trips and postings removed;
    // Stored: trips or postings of the day are committed), written in WriteDocuments.
    private readonly Dictionary<string, SortedDictionary<DateOnly, (SettledDay? Day, bool Stored)>> _newSettled = new(StringComparer.Ordinal);

    // What WriteDocuments wrote, for Publish: day documents whole, de-duplication blocks whole.
    private Dictionary<string, Dictionary<DateOnly, List<TapRecord>>> _writtenPersonDays = [];
    private readonly Dictionary<string, List<TapRecord>> _writtenOtherDays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _writtenBlocks = new(StringComparer.Ordinal);

    /// <summary><c>personlog</c> documents this unit wrote.</summary>
    public long PersonLogDocuments { get; private set; }

    /// <summary>Person states this unit logged.</summary>
    public int PersonsLogged => _newPersons.Count;

    /// <summary>
    /// Writes the unit's taps and re-evaluated persons before the commit: one <c>daytaps</c> document per person and
    /// service day the unit added taps to or whose trips, postings or checkpoint it changed (<see cref="PersonDayChanges"/>),
    /// one per vehicle and day it added taps to, one <c>seqblocks</c> document per device block, and the persons
    /// as a few documents of <c>personlog { _id: Int64, b: UTF-8 JSON array of <see cref="StoredPerson"/> (binary) }</c>,
    /// at most <see cref="PersonsPerDocument"/> persons each (see <see cref="LiteDbDayTaps"/>).
    /// </summary>
    public void WriteDocuments()
    {
        foreach (IGrouping<string, TapRecord> inDocument in _newTaps.GroupBy(LiteDbDayTaps.DocumentOf, StringComparer.Ordinal))
        {
            TapRecord first = inDocument.First();
            if (first.Pid is { } pid)
            {
                _personDays.AddTaps(pid, WalletRules.ServiceDay(first.At), inDocument);
            }
            else
            {
                List<TapRecord> stored = cache.OtherDay(inDocument.Key, ReadDay);
                List<TapRecord> all = LiteDbDayTaps.Merge(stored, inDocument);
                LiteDbDayTaps.Put(db, inDocument.Key, all, isNew: stored.Count == 0);
                _writtenOtherDays[inDocument.Key] = all;
            }
        }

        foreach (IGrouping<string, TapRecord> inBlock in _newTaps.GroupBy(t => LiteDbDayTaps.SeqBlock(t.Device, t.Seq), StringComparer.Ordinal))
        {
            byte[] block = [.. cache.SeqBlock(inBlock.Key, ReadBlock)];
            bool isNew = LiteDbDayTaps.IsEmpty(block);
            foreach (TapRecord t in inBlock)
            {
                LiteDbDayTaps.Set(block, t.Seq);
            }

            LiteDbDayTaps.PutBlock(db, inBlock.Key, block, isNew);
            _writtenBlocks[inBlock.Key] = block;
        }

        foreach ((string pid, SortedDictionary<DateOnly, (SettledDay? Day, bool Stored)> days) in _newSettled)
        {
            foreach ((DateOnly day, (SettledDay? settled, bool stored)) in days)
            {
                if (settled is not null || stored)
                {
                    _personDays.SetSettled(pid, day, settled);
                }
            }
        }

        // A person without a state before this unit has no day document stored (see LockAhead).
        _writtenPersonDays = _personDays.Write(_firstStates.Contains);

        // The persons' latest top-ups with this unit's (a state logged without them would let a replay skip them).
        foreach ((string pid, ValueChange change) in _newValueChanges)
        {
            if (Person(pid) is { } p && p.LastValueChange < change.At.UtcTicks)
            {
                _newPersons[pid] = p with { LastValueChange = change.At.UtcTicks };
            }
        }

        foreach (CachedPerson[] part in _newPersons.Values.Chunk(PersonsPerDocument))
        {
            byte[] persons = StoreJson.Persons([.. part.Select(p => LiteDbMapping.ToStored(p, _newCheckpoints.GetValueOrDefault(p.State.Pid) ?? cache.RecentCheckpoints(p.State.Pid)))]);
            db.GetCollection(PersonLog).Insert(new BsonDocument { ["_id"] = firstPersonLogDocument + PersonLogDocuments++, ["b"] = persons });
        }
    }

    private List<TapRecord> ReadDay(string id) => LiteDbDayTaps.Read(db, id);

    private byte[] ReadBlock(string id) => LiteDbDayTaps.ReadBlock(db, id);

    /// <summary>After the commit: what this unit wrote becomes part of the cache.</summary>
    public void Publish()
    {
        foreach ((string id, byte[] block) in _writtenBlocks)
        {
            cache.PutSeqBlock(id, block);
        }

        foreach ((string pid, Dictionary<DateOnly, List<TapRecord>> days) in _writtenPersonDays)
        {
            cache.PutPersonDays(pid, days);
        }

        foreach ((string id, List<TapRecord> taps) in _writtenOtherDays)
        {
            cache.PutOtherDay(id, taps);
        }

        foreach ((string pid, SortedDictionary<DateOnly, (SettledDay? Day, bool Stored)> days) in _newSettled)
        {
            cache.Settlements.Put(pid, days.Select(d => new KeyValuePair<DateOnly, SettledDay?>(d.Key, d.Value.Day)));
            foreach (DateOnly day in days.Keys)
            {
                cache.DayVersions.Changed(day);
            }
        }

        foreach (TapRecord t in _newTaps)
        {
            if (LiteDbDayTaps.IsBoard(t))
            {
                cache.AddBoard(t);
            }
        }

        foreach ((string pid, ValueChange t) in _newValueChanges)
        {
            cache.AddValueChange(pid, t);
        }

        foreach ((string pid, CachedPerson p) in _newPersons)
        {
            cache.SetPerson(pid, p);
        }

        foreach (DeviceProgress p in _newDevices.Values)
        {
            cache.SetDevice(p);
        }

        foreach ((string pid, DayCheckpoint[] written) in _newCheckpoints)
        {
            cache.AddCheckpoints(pid, written);
        }
    }

    public bool TryAddTap(TapRecord tap)
    {
        if (LiteDbDayTaps.Has(cache.SeqBlock(LiteDbDayTaps.SeqBlock(tap.Device, tap.Seq), ReadBlock), tap.Seq) || !_newKeys.Add((tap.Device, tap.Seq)))
        {
            return false;
        }

        _newTaps.Add(tap);
        if (tap.Pid is not null)
        {
            Add(_newTapsByPerson, tap.Pid, tap);
        }

        if (tap.Vehicle is { } vehicle && tap.Pid is null && tap.Type == EventTypes.TripEnd)
        {
            Add(_newTripEnds, vehicle, tap);
        }
        else if (tap.Vehicle is { } boarded && tap.Pid is not null && tap.Type == EventTypes.Board)
        {
            Add(_newBoards, boarded, tap);
        }

        return true;
    }

    public bool[] TryAddTaps(IReadOnlyList<TapRecord> taps)
    {
        // In memory until the commit: one by one costs nothing more.
        bool[] added = new bool[taps.Count];
        for (int i = 0; i < taps.Count; i++)
        {
            added[i] = TryAddTap(taps[i]);
        }

        return added;
    }

    private static void Add(Dictionary<string, List<TapRecord>> d, string key, TapRecord tap)
    {
        if (!d.TryGetValue(key, out List<TapRecord>? list))
        {
            d[key] = list = new List<TapRecord>(4);
        }

        list.Add(tap);
    }

    public IReadOnlyList<TapRecord> TapsOfPerson(string pid, DateTimeOffset from)
    {
        // Committed taps (the days not in memory read by a range of day documents), then this unit's own.
        List<TapRecord> list = cache.TapsOf(pid, from, (first, last) => LiteDbDayTaps.Range(db, pid, vehicle: false, first, last));
        if (_newTapsByPerson.TryGetValue(pid, out List<TapRecord>? mine))
        {
            list.AddRange(mine.Where(t => t.At >= from));
        }

        return list;
    }

    public DayCheckpoint? CheckpointFor(string pid, DateOnly day)
    {
        // The latest days are in memory (this unit's, then the committed ones); an older day, or a person not
        // evaluated since the start, is a descending range read of its ids (person, then day).
        DayCheckpoint[]? recent = _newCheckpoints.GetValueOrDefault(pid) ?? cache.RecentCheckpoints(pid);
        if (recent is not null && WalletRules.Resume(recent, day) is { } found)
        {
            return found;
        }

        return _personDays.ResumableAtOrBefore(pid, day, () => LiteDbPersonDays.CheckpointsDownFrom(db, pid, day));
    }

    public void PutCheckpoints(string pid, IReadOnlyList<DayCheckpoint> checkpoints)
    {
        if (checkpoints.Count == 0)
        {
            return;
        }

        foreach (DayCheckpoint c in checkpoints)
        {
            _personDays.SetCheckpoint(pid, c);
        }

        _newCheckpoints[pid] = LiteDbWriteCache.Latest(_newCheckpoints.GetValueOrDefault(pid) ?? cache.RecentCheckpoints(pid) ?? [], checkpoints);
    }

    public IReadOnlyList<TapRecord> TripEnds(string vehicle, DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from)
        {
            return [];
        }

        // The vehicle's days of the window: from memory for the few days of a current evaluation, else one range read.
        DateOnly first = LiteDbDayTaps.ServiceDayOf(from), last = LiteDbDayTaps.ServiceDayOf(to);
        IEnumerable<TapRecord> stored = last.DayNumber - first.DayNumber < 3
            ? Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).SelectMany(d => cache.OtherDay(LiteDbDayTaps.VehicleDay(vehicle, first.AddDays(d)), ReadDay))
            : LiteDbDayTaps.Range(db, vehicle, vehicle: true, first, last).SelectMany(d => d.Taps);
        return [.. stored.Concat(_newTripEnds.GetValueOrDefault(vehicle) ?? []).Where(t => t.Pid is null && t.Type == EventTypes.TripEnd && t.Vehicle == vehicle && t.At >= from && t.At <= to)];
    }

    public IReadOnlyCollection<string> PersonsBoarded(string vehicle, DateTimeOffset from, DateTimeOffset to) =>
        cache.BoardsOf(vehicle).Concat(_newBoards.GetValueOrDefault(vehicle) ?? [])
            .Where(t => t.Pid is not null && t.At >= from && t.At <= to)
            .Select(t => t.Pid!).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyList<ValueChange> ValueChangesOf(string pid, DateTimeOffset from)
    {
        // None committed at or after the instant (the person's latest is before it): nothing to read. Otherwise read
        // from the database on a miss, without this unit's own (inserted already, added below): the cache holds committed ones.
        List<ValueChange> list = Person(pid) is { } person && person.LastValueChange < from.UtcTicks ? []
            : cache.ValueChangesOf(pid, from, (p, since) => [.. db.GetCollection(ValueChanges)
            .Find(LiteDbQuery.Between("pa", LiteDbMapping.ValueChangeOrderKey(p, since), LiteDbMapping.ValueChangeOrderEnd(p)))
            .Select(LiteDbMapping.ReadValueChange)
            .Where(c => !_newValueChanges.Any(n => n.Change.Key == c.Change.Key))
            .Select(c => c.Change)]);
        list.AddRange(_newValueChanges.Where(t => t.Pid == pid && t.Change.At >= from).Select(t => t.Change));
        return list;
    }

    public (string Pid, ValueChange Change)? FindValueChange(string key) =>
        db.GetCollection(ValueChanges).FindById(key) is { } d ? LiteDbMapping.ReadValueChange(d) : null;

    public bool TryAddValueChange(string pid, ValueChange change)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(ValueChanges);
        if (col.FindById(change.Key) is not null)
        {
            return false;
        }

        col.Insert(LiteDbMapping.ValueChangeDocument(pid, change));
        _newValueChanges.Add((pid, change));
        return true;
    }

    public DeviceProgress? GetDevice(string device) =>
        _newDevices.TryGetValue(device, out DeviceProgress? p) ? p : cache.GetDevice(device);

    public void PutDevice(DeviceProgress progress)
    {
        _newDevices[progress.Device] = progress;
        db.GetCollection(Devices).Upsert(LiteDbMapping.DeviceDocument(progress));
    }

    public QuarantineOutcome AddQuarantine(QuarantineEntry entry, QuarantineLimits limits) => LiteDbQuarantine.Add(db, entry, limits);

    /// <remarks>
    /// Every stored person's state is in memory, and a person's sector is indexed by the unit that stores the first
    /// state: for a person without a state no sector document is stored yet, and an insert skips the upsert's lookup
    /// (a walk of the index by a random key, most of what indexing a new rider cost).
    /// </remarks>
    public void IndexSector(string sectorId, string pid) =>
        LiteDbDayTaps.Write(db.GetCollection(Sectors), new BsonDocument { ["_id"] = sectorId, ["p"] = pid }, isNew: Person(pid) is null);

    public string? GetMeta(string key) => db.GetCollection(Meta).FindById(key) is { } d ? LiteDbMapping.ReadMeta(d) : null;

    // One writer: every unit of the process runs alone, so a read is already a read for update.
    public string? GetMetaForUpdate(string key) => GetMeta(key);

    /// <summary>Nothing to lock: the store has one writer at a time.</summary>
    public void LockKey(string key)
    {
    }

    public void SetMeta(string key, string value) => db.GetCollection(Meta).Upsert(LiteDbMapping.MetaDocument(key, value));

    /// <summary>Stores or (with an empty payload) removes a retained message in this unit.</summary>
    public void PutRetained(RetainedRecord message)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(Retained);
        if (message.Payload.Length == 0)
        {
            col.Delete(message.Topic);
        }
        else
        {
            col.Upsert(LiteDbMapping.RetainedDocument(message));
        }
    }
}
