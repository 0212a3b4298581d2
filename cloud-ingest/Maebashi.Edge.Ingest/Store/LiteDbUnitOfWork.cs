using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// One unit of work inside the LiteDB transaction of <see cref="LiteDbIngestStore.Write{T}"/>: reads the
/// committed state from the <see cref="LiteDbWriteCache"/> plus what this unit added, writes the unit as a
/// few documents before the commit (<see cref="WriteDocuments"/>) and, after the commit, hands what it wrote
/// to the cache (<see cref="Publish"/>).
/// </summary>
/// <param name="firstUnitDocument">Id of this unit's first <c>units</c> document (ids rise, so inserts append to the index).</param>
/// <param name="firstPersonLogDocument">Id of this unit's first <c>personlog</c> document.</param>
internal sealed partial class LiteDbUnitOfWork(LiteDatabase db, LiteDbWriteCache cache, long firstUnitDocument, long firstPersonLogDocument) : IIngestWrite
{
    private readonly List<TapRecord> _newTaps = [];

    // This unit's taps by person: a unit of a group commit holds hundreds of persons and taps, so scanning
    // _newTaps once per evaluated person grew with the square of the group's size.
    private readonly Dictionary<string, List<TapRecord>> _newTapsByPerson = new(StringComparer.Ordinal);
    private readonly HashSet<(string, ulong)> _newKeys = [];
    private readonly List<(string Pid, ValueChange Change)> _newValueChanges = [];
    private readonly Dictionary<string, CachedPerson> _newPersons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceProgress> _newDevices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DayCheckpoint[]> _newCheckpoints = new(StringComparer.Ordinal);

    /// <summary><c>units</c> documents this unit wrote.</summary>
    public long UnitDocuments { get; private set; }

    /// <summary><c>personlog</c> documents this unit wrote.</summary>
    public long PersonLogDocuments { get; private set; }

    /// <summary>Person states this unit logged.</summary>
    public int PersonsLogged => _newPersons.Count;

    /// <summary>
    /// Writes the unit's taps and re-evaluated persons as a few documents, before the commit: two inserts
    /// per unit instead of one per tap and one per person. Layouts:
    /// <c>units { _id: Int64, b: UTF-8 JSON array of taps (binary, see <see cref="StoreJson.Taps(IReadOnlyList{TapRecord})"/>) }</c>;
    /// <c>personlog { _id: Int64, b: UTF-8 JSON array of <see cref="StoredPerson"/> (binary) }</c>.
    /// At most <see cref="MaxTapsPerDocument"/> taps or <see cref="PersonsPerDocument"/> persons per document.
    /// </summary>
    public void WriteDocuments()
    {
        foreach (TapRecord[] part in _newTaps.Chunk(MaxTapsPerDocument))
        {
            db.GetCollection(Units).Insert(new BsonDocument { ["_id"] = firstUnitDocument + UnitDocuments++, ["b"] = StoreJson.Taps(part) });
        }

        foreach (CachedPerson[] part in _newPersons.Values.Chunk(PersonsPerDocument))
        {
            byte[] persons = StoreJson.Persons([.. part.Select(p => LiteDbMapping.ToStored(
                p.State, p.RecentEntries, p.TripsChangedFrom, _newCheckpoints.GetValueOrDefault(p.State.Pid) ?? cache.RecentCheckpoints(p.State.Pid)))]);
            db.GetCollection(PersonLog).Insert(new BsonDocument { ["_id"] = firstPersonLogDocument + PersonLogDocuments++, ["b"] = persons });
        }
    }

    /// <summary>After the commit: what this unit wrote becomes part of the cache.</summary>
    public void Publish()
    {
        for (int i = 0; i < _newTaps.Count; i++)
        {
            cache.AddTap(_newTaps[i], firstUnitDocument + (i / MaxTapsPerDocument));
        }

        cache.EvictIfOver();

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
        if (cache.IsStored(tap.Device, tap.Seq) || !_newKeys.Add((tap.Device, tap.Seq)))
        {
            return false;
        }

        _newTaps.Add(tap);
        if (tap.Pid is not null)
        {
            if (!_newTapsByPerson.TryGetValue(tap.Pid, out List<TapRecord>? mine))
            {
                _newTapsByPerson[tap.Pid] = mine = new List<TapRecord>(4);
            }

            mine.Add(tap);
        }

        return true;
    }

    public IReadOnlyList<TapRecord> TapsOfPerson(string pid, DateTimeOffset from)
    {
        // Committed taps (read back from disk by key when dropped from memory), then this unit's own.
        List<TapRecord> list = cache.TapsOf(pid, from, ReadBack);
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

        string prefix = pid + "|";
        foreach (BsonDocument d in db.GetCollection(Checkpoints).Query()
            .Where(Query.Between("_id", prefix, prefix + LiteDbMapping.Day(day)))
            .OrderByDescending("_id")
            .ToEnumerable())
        {
            DayCheckpoint c = StoreJson.Checkpoint(d["b"].AsBinary);
            if (c.CanResume)
            {
                return c;
            }
        }

        return null;
    }

    public void PutCheckpoints(string pid, IReadOnlyList<DayCheckpoint> checkpoints)
    {
        if (checkpoints.Count == 0)
        {
            return;
        }

        ILiteCollection<BsonDocument> col = db.GetCollection(Checkpoints);
        foreach (DayCheckpoint c in checkpoints)
        {
            col.Upsert(new BsonDocument { ["_id"] = pid + "|" + LiteDbMapping.Day(c.Day), ["b"] = StoreJson.Checkpoint(c) });
        }

        _newCheckpoints[pid] = LiteDbWriteCache.Latest(_newCheckpoints.GetValueOrDefault(pid) ?? cache.RecentCheckpoints(pid) ?? [], checkpoints);
    }

    private List<CachedTap> ReadBack(List<TapLocation> keys)
    {
        var loaded = new List<CachedTap>(keys.Count);
        ILiteCollection<BsonDocument> units = db.GetCollection(Units);
        foreach (IGrouping<long, TapLocation> inDoc in keys.GroupBy(k => k.Document))
        {
            var wanted = inDoc.Select(k => (k.Device, k.Seq)).ToHashSet();
            foreach (TapRecord t in StoreJson.Taps(units.FindById(inDoc.Key)["b"].AsBinary))
            {
                if (wanted.Contains((t.Device, t.Seq)))
                {
                    loaded.Add(new CachedTap(t, inDoc.Key));
                }
            }
        }

        return loaded;
    }

    public IReadOnlyList<TapRecord> TripEnds(string vehicle, DateTimeOffset from, DateTimeOffset to) =>
        [.. cache.TripEndsOf(vehicle, from, to).Concat(_newTaps.Where(t => t.Pid is null && t.Type == EventTypes.TripEnd && t.Vehicle == vehicle && t.At >= from && t.At <= to))];

    public IReadOnlyCollection<string> PersonsBoarded(string vehicle, DateTimeOffset from, DateTimeOffset to) =>
        cache.BoardsOf(vehicle).Concat(_newTaps.Where(t => t.Type == EventTypes.Board && t.Vehicle == vehicle))
            .Where(t => t.Pid is not null && t.At >= from && t.At <= to)
            .Select(t => t.Pid!).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyList<ValueChange> ValueChangesOf(string pid)
    {
        List<ValueChange> list = cache.ValueChangesOf(pid);
        list.AddRange(_newValueChanges.Where(t => t.Pid == pid).Select(t => t.Change));
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

    public PersonState? GetPersonForUpdate(string pid) => Person(pid)?.State;

    /// <summary>One process writes this store, one unit at a time: nothing to lock ahead.</summary>
    public void LockAhead(IReadOnlyList<string> devices, IReadOnlyList<string> persons)
    {
    }

    private CachedPerson? Person(string pid) =>
        _newPersons.TryGetValue(pid, out CachedPerson? p) || cache.TryGetPerson(pid, out p) ? p : null;

    public void PutPerson(PersonState s, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations, DateTimeOffset replayedFrom)
    {
        CachedPerson? before = Person(s.Pid);

        // What the unit logs of the trips: from the earliest day any of its evaluations of the person replayed
        // (a first state, or a full replay, logs every trip).
        bool whole = replayedFrom == DateTimeOffset.MinValue;
        long? tripsFrom = whole || before is null ? null : replayedFrom.UtcTicks;
        if (_newPersons.TryGetValue(s.Pid, out CachedPerson? inUnit))
        {
            tripsFrom = inUnit.TripsChangedFrom is { } earlier && tripsFrom is { } now ? Math.Min(earlier, now) : null;
        }

        List<WalletEntry> recent = [.. before?.RecentEntries ?? [], .. newEntries];
        int archivedDocuments = before?.ArchivedDocuments ?? 0;
        if (recent.Count > InlineEntries)
        {
            archivedDocuments++;
            db.GetCollection(Entries).Insert(new BsonDocument { ["p"] = s.Pid, ["e"] = new BsonArray(recent.Select(e => (BsonValue)LiteDbMapping.EntryDocument(e))) });
            recent = [];
        }

        // Logged (with the unit's other persons) in WriteDocuments.
        // Rows before the replayed days stay: the counts only tell whether a person has any to replace.
        _newPersons[s.Pid] = new CachedPerson(
            s,
            checkIns.Count + (whole ? 0 : before?.CheckIns ?? 0),
            participations.Count + (whole ? 0 : before?.Participations ?? 0),
            recent,
            archivedDocuments,
            tripsFrom);

        // Most persons have neither check-ins nor participations: skip rewriting empty sets.
        ILiteCollection<BsonDocument> ci = db.GetCollection(CheckIns);
        if ((before?.CheckIns ?? 0) > 0)
        {
            ci.DeleteMany(whole ? Query.EQ("p", s.Pid) : Query.And(Query.EQ("p", s.Pid), Query.GTE("at", replayedFrom.UtcTicks)));
        }

        if (checkIns.Count > 0)
        {
            ci.InsertBulk(checkIns.Select(LiteDbMapping.CheckInDocument));
        }

        ILiteCollection<BsonDocument> pa = db.GetCollection(Participations);
        if ((before?.Participations ?? 0) > 0)
        {
            pa.DeleteMany(whole ? Query.EQ("p", s.Pid) : Query.And(Query.EQ("p", s.Pid), Query.GTE("in", replayedFrom.UtcTicks)));
        }

        if (participations.Count > 0)
        {
            pa.InsertBulk(participations.Select(LiteDbMapping.ParticipationDocument));
        }
    }

    public DeviceProgress? GetDevice(string device) =>
        _newDevices.TryGetValue(device, out DeviceProgress? p) ? p : cache.GetDevice(device);

    public void PutDevice(DeviceProgress progress)
    {
        _newDevices[progress.Device] = progress;
        db.GetCollection(Devices).Upsert(LiteDbMapping.DeviceDocument(progress));
    }

    public QuarantineOutcome AddQuarantine(QuarantineEntry entry, QuarantineLimits limits) => LiteDbQuarantine.Add(db, entry, limits);

    public void IndexSector(string sectorId, string pid) =>
        db.GetCollection(Sectors).Upsert(new BsonDocument { ["_id"] = sectorId, ["p"] = pid });

    public string? GetMeta(string key) => db.GetCollection(Meta).FindById(key) is { } d ? LiteDbMapping.ReadMeta(d) : null;

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
