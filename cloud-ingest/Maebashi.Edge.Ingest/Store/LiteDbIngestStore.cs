using System.Collections.Concurrent;
using System.Globalization;
using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The default store: one LiteDB file under the data directory (one ingest process). Units of work are
/// serialised by a lock and made durable (fsync of LiteDB's log) before <see cref="Write{T}"/> returns.
/// </summary>
/// <remarks>
/// Layout (docs/ingest.md, "Storage"): a unit of work writes its taps as one document of <c>units</c> per 256
/// taps and the persons it re-evaluated as one document of <c>personlog</c> per 64 persons — a few inserts
/// per unit instead of one per tap and one per person (LiteDB spends ~20–40 µs on each
/// document insert or update, which bounded the ingest near 10,000 events/s). Every person's state is in
/// memory; <c>personsnap</c> holds all of them as of a snapshot, written once as many person states were
/// logged as there are persons (at least 100,000), after which the person log is emptied. Opening the
/// store reads the snapshot, then the person log in order: the latest state of each person wins.
/// </remarks>
public sealed class LiteDbIngestStore : IIngestStore
{
    // The de-duplication records and the facts: documents of up to MaxPerDocument taps, in commit order (see WriteUnit).
    private const string Units = "units";

    // Persons re-evaluated by each unit (full states), in commit order, since the last snapshot.
    private const string PersonLog = "personlog";

    // Every person as of the last snapshot, PersonsPerDocument persons to a document.
    private const string PersonSnapshot = "personsnap";

    /// <summary>Taps per document: keeps every document far below LiteDB's 16 MiB.</summary>
    private const int MaxPerDocument = 256;

    /// <summary>
    /// Persons per log or snapshot document: their JSON (~500 bytes a person) stays below the 85,000 bytes at
    /// which .NET allocates on the large object heap, whose collections are full, blocking ones over the whole
    /// heap (the registry alone is ~700 MB at city scale). A person with 128 entries is ~20 KB: rare.
    /// </summary>
    private const int PersonsPerDocument = 64;

    /// <summary>Fewest person states logged between two snapshots (more when there are more persons).</summary>
    private const long MinSnapshotInterval = 100_000;
    private const string Entries = "entries";
    private const string CheckInsCol = "checkins";
    private const string ParticipationsCol = "participations";
    private const string DevicesCol = "devices";
    private const string QuarantineCol = "quarantine";
    private const string TopUps = "topups";
    private const string Meta = "meta";
    private const string Retained = "retained";

    private readonly Lock _writeLock = new();

    // Set when a committed unit could not be made durable (see Write).
    private Exception? _failed;
    private readonly DurableLiteDatabase _files;
    private readonly LiteDatabase _db;

    // Write-path caches, touched only under _writeLock and only after a commit succeeded. LiteDB's index
    // lookups cost milliseconds here once a unit holds pending pages, so the facts the rules read per person
    // (taps, trip ends, top-ups, the stored state) and the de-duplication keys are served from memory; LiteDB
    // stays the durable record and the source of these caches at start. A multi-process store (PostgreSQL)
    // reads them from the database inside its transaction instead.
    private readonly Dictionary<string, HashSet<ulong>> _seqs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<CachedTap>> _tapsByPerson = new(StringComparer.Ordinal);

    // Persons whose taps were dropped from memory to keep it bounded, with the document holding each of those
    // taps: they are read back by primary key, which spares the taps a secondary index by person.
    private readonly Dictionary<string, List<TapLocation>> _evicted = new(StringComparer.Ordinal);
    private long _nextUnitDoc = 1;
    private long _nextPersonLogDoc = 1;
    private long _personsLogged;
    private readonly long? _snapshotEvery;
    private readonly int _maxCachedTaps;
    private int _cachedTaps;
    private readonly Dictionary<string, List<TapRecord>> _tripEndsByVehicle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _boardsByVehicle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TopUp>> _topUpsByPerson = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _topUpPerson = new(StringComparer.Ordinal);

    // Every stored person's committed state: written under _writeLock after each commit, read by any thread.
    private readonly ConcurrentDictionary<string, CachedPerson> _persons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceProgress> _devices = new(StringComparer.Ordinal);

    /// <summary>A tap held for the rules, with the id of the <c>units</c> document that stores it.</summary>
    private readonly record struct CachedTap(TapRecord Tap, long Batch);

    private readonly record struct TapLocation(long Batch, string Device, ulong Seq);

    /// <summary>A person's committed state, the entries not yet archived (never mutated once published) and how many check-ins and participations are stored.</summary>
    private sealed record CachedPerson(PersonState State, int CheckIns, int Participations, IReadOnlyList<WalletEntry> RecentEntries);

    /// <summary>Entries kept with the person's state (logged with it each time); older ones move to <c>entries</c>.</summary>
    private const int InlineEntries = 128;

    /// <param name="maxCachedTaps">Taps kept in memory for the rules; beyond it the least recently added persons are read from disk.</param>
    /// <param name="snapshotEvery">Person states logged between snapshots; by default the number of persons, at least 100,000.</param>
    public LiteDbIngestStore(string directory, int maxCachedTaps = 2_000_000, long? snapshotEvery = null)
    {
        _maxCachedTaps = maxCachedTaps;
        _snapshotEvery = snapshotEvery;
        Directory.CreateDirectory(directory);
        DataPath = Path.Combine(directory, "ingest.db");
        _files = new DurableLiteDatabase(DataPath);
        _db = _files.Db;
        _db.GetCollection(Entries).EnsureIndex("p");
        _db.GetCollection(CheckInsCol).EnsureIndex("p");
        _db.GetCollection(CheckInsCol).EnsureIndex("cd");
        _db.GetCollection(ParticipationsCol).EnsureIndex("p");
        _db.GetCollection(ParticipationsCol).EnsureIndex("ev");
        _db.GetCollection(TopUps).EnsureIndex("p");
        Durable();
        LoadCaches();
    }

    private void LoadCaches()
    {
        foreach (BsonDocument d in _db.GetCollection(Units).FindAll())
        {
            long doc = d["_id"].AsInt64;
            foreach (TapRecord t in StoreJson.Taps(d["b"].AsBinary))
            {
                CacheTap(t, doc);
            }

            _nextUnitDoc = Math.Max(_nextUnitDoc, doc + 1);
        }

        EvictIfOver();

        var checkIns = _db.GetCollection(CheckInsCol).FindAll().GroupBy(d => d["p"].AsString).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var participations = _db.GetCollection(ParticipationsCol).FindAll().GroupBy(d => d["p"].AsString).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Dictionary<string, List<WalletEntry>> archived = _db.GetCollection(Entries).FindAll()
            .GroupBy(d => d["p"].AsString)
            .ToDictionary(g => g.Key, g => g.SelectMany(d => d["e"].AsArray.Select(e => ReadEntry(g.Key, e.AsDocument))).ToList(), StringComparer.Ordinal);

        // The snapshot, then the log in commit order (primary key order): the latest state of a person wins.
        var latest = new Dictionary<string, StoredPerson>(StringComparer.Ordinal);
        foreach (BsonDocument d in _db.GetCollection(PersonSnapshot).FindAll())
        {
            foreach (StoredPerson p in StoreJson.Persons(d["b"].AsBinary))
            {
                latest[p.Pid] = p;
            }
        }

        foreach (BsonDocument d in _db.GetCollection(PersonLog).FindAll())
        {
            List<StoredPerson> logged = StoreJson.Persons(d["b"].AsBinary);
            foreach (StoredPerson p in logged)
            {
                latest[p.Pid] = p;
            }

            _personsLogged += logged.Count;
            _nextPersonLogDoc = Math.Max(_nextPersonLogDoc, d["_id"].AsInt64 + 1);
        }

        foreach (StoredPerson p in latest.Values)
        {
            List<WalletEntry> recent = [.. p.Entries.Select(e => FromStored(p.Pid, e))];
            // The postings an evaluation is diffed against are the entries summed by key (entries are the diffs).
            PersonState state = FromStored(p, PostingsFromEntries(archived.GetValueOrDefault(p.Pid, []).Concat(recent)));
            _persons[p.Pid] = new CachedPerson(state, checkIns.GetValueOrDefault(p.Pid), participations.GetValueOrDefault(p.Pid), recent);
        }

        foreach (BsonDocument d in _db.GetCollection(DevicesCol).FindAll())
        {
            DeviceProgress p = ReadDevice(d);
            _devices[p.Device] = p;
        }

        foreach (BsonDocument d in _db.GetCollection(TopUps).FindAll())
        {
            CacheTopUp(d["p"].AsString, new TopUp(d["_id"].AsString, d["amount"].AsInt64, Ticks(d["at"])));
        }
    }

    private static List<Posting> PostingsFromEntries(IEnumerable<WalletEntry> entries) =>
        [.. entries.GroupBy(e => e.Key, StringComparer.Ordinal)
            .Select(g => new Posting(g.Key, g.First().Kind, g.Sum(e => e.Value), g.Sum(e => e.Points), g.First().Source, g.First().At, g.First().Description))
            .Where(p => p.Value != 0 || p.Points != 0)];

    private void CacheTap(TapRecord t, long batch)
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
                keys.Add(new TapLocation(batch, t.Device, t.Seq));
            }
            else
            {
                Add(_tapsByPerson, t.Pid, new CachedTap(t, batch));
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
            Add(_tripEndsByVehicle, t.Vehicle, t);
        }
    }

    // Drops whole persons, oldest-added first (dictionary order), down to 90% of the limit.
    private void EvictIfOver()
    {
        if (_cachedTaps <= _maxCachedTaps)
        {
            return;
        }

        var drop = new List<string>();
        int target = _maxCachedTaps / 10 * 9;
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
            _evicted[pid] = [.. taps!.Select(t => new TapLocation(t.Batch, t.Tap.Device, t.Tap.Seq))];
        }
    }

    private void CacheTopUp(string pid, TopUp topUp)
    {
        Add(_topUpsByPerson, pid, topUp);
        _topUpPerson[topUp.Receipt] = pid;
    }

    private static void Add<T>(Dictionary<string, List<T>> d, string key, T value)
    {
        if (!d.TryGetValue(key, out List<T>? list))
        {
            d[key] = list = new List<T>(4);
        }

        list.Add(value);
    }

    public string DataPath { get; }

    /// <summary>The durable files (tests reach the fsync through it).</summary>
    internal DurableLiteDatabase Files => _files;

    public T Write<T>(Func<IIngestWrite, T> work)
    {
        lock (_writeLock)
        {
            if (_failed is not null)
            {
                throw new IOException("the store could not make an earlier unit durable and takes no more; restart the ingest", _failed);
            }

            if (!_db.BeginTrans())
            {
                throw new InvalidOperationException("a LiteDB transaction is already open on this thread");
            }

            T result;
            var unit = new Unit(this);
            try
            {
                result = work(unit);
                unit.WriteUnit();
                _db.Commit();
            }
            catch
            {
                _db.Rollback();
                throw;
            }

            try
            {
                Durable();
            }
            catch (Exception e)
            {
                // Committed but not known to be on disk (an fsync that failed may have dropped the pages):
                // acknowledging anything more could acknowledge a tap a power cut then loses, so this store
                // takes no more units; a restart recovers from what the files hold.
                _failed = e;
                throw;
            }

            unit.Publish();
            if (_personsLogged >= (_snapshotEvery ?? Math.Max(MinSnapshotInterval, _persons.Count)))
            {
                WriteSnapshot();
            }

            return result;
        }
    }

    /// <summary>Writes a snapshot now (benchmarks); returns how many persons it holds.</summary>
    internal int SnapshotNow()
    {
        lock (_writeLock)
        {
            WriteSnapshot();
            return _persons.Count;
        }
    }

    /// <summary>
    /// Writes every person's state as the new snapshot and empties the person log, in one transaction: its
    /// cost (about a second per 300,000 persons) is spread over at least as many logged person states.
    /// </summary>
    private void WriteSnapshot()
    {
        if (!_db.BeginTrans())
        {
            throw new InvalidOperationException("a LiteDB transaction is already open on this thread");
        }

        try
        {
            ILiteCollection<BsonDocument> snapshot = _db.GetCollection(PersonSnapshot);
            snapshot.DeleteAll();
            long id = 1;
            foreach (CachedPerson[] part in _persons.Values.Chunk(PersonsPerDocument))
            {
                snapshot.Insert(new BsonDocument { ["_id"] = id++, ["b"] = StoreJson.Persons([.. part.Select(p => ToStored(p.State, p.RecentEntries))]) });
            }

            _db.GetCollection(PersonLog).DeleteAll();
            _db.Commit();
            Durable();
        }
        catch (Exception e) when (e is IOException or LiteException)
        {
            // Not committed, or committed but not known to be durable: either way the snapshot and the log
            // that replaced it are one transaction, so the store holds every state. Try again later.
            _db.Rollback();
            _personsLogged /= 2;
            return;
        }

        _personsLogged = 0;
    }

    private void Durable() => _files.MakeDurable();

    public PersonState? GetPerson(string pid) => _persons.TryGetValue(pid, out CachedPerson? p) ? p.State : null;

    public IReadOnlyList<WalletEntry> EntriesOf(string pid)
    {
        // Recent entries first (committed state as of now), then the archive: an archive written after this
        // read could only repeat entries, which the key (recorded time, key, kind) removes.
        IReadOnlyList<WalletEntry> recent = _persons.TryGetValue(pid, out CachedPerson? p) ? p.RecentEntries : [];
        IEnumerable<WalletEntry> archivedEntries = _db.GetCollection(Entries).Find(Query.EQ("p", pid))
            .SelectMany(d => d["e"].AsArray).Select(e => ReadEntry(pid, e.AsDocument));
        return [.. archivedEntries.Concat(recent).Distinct().OrderBy(e => e.RecordedAt)];
    }

    public IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date) =>
        _db.GetCollection(CheckInsCol).Find(Query.EQ("cd", clinic + "|" + Day(date))).Select(ReadCheckIn).OrderBy(c => c.Queue).ToList();

    public IReadOnlyList<ParticipationRecord> Participations(string eventId) =>
        _db.GetCollection(ParticipationsCol).Find(Query.EQ("ev", eventId)).Select(ReadParticipation).OrderBy(p => p.In).ToList();

    public IReadOnlyList<DeviceProgress> Devices() => _db.GetCollection(DevicesCol).FindAll().Select(ReadDevice).ToList();

    public IReadOnlyList<QuarantineRecord> Quarantine(int limit) =>
        _db.GetCollection(QuarantineCol).FindAll().Select(ReadQuarantine).OrderByDescending(q => q.At).Take(limit).ToList();

    public long QuarantineCount() => _db.GetCollection(QuarantineCol).LongCount();

    // The person cache holds every stored person's committed state (loaded at start, updated after each commit).
    public IReadOnlyList<string> PersonsInDebt() => [.. _persons.Values.Where(p => p.State.InDebt).Select(p => p.State.Pid)];

    public IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now) =>
        [.. _persons.Values.Where(p => p.State.NextCloseAt is { } at && at <= now).Select(p => p.State.Pid)];

    public string? GetMeta(string key) => _db.GetCollection(Meta).FindById(key)?["v"].AsString;

    public IReadOnlyList<RetainedRecord> RetainedMessages() =>
        _db.GetCollection(Retained).FindAll().Select(d => new RetainedRecord(d["_id"].AsString, d["b"].AsBinary)).ToList();

    public void PutRetained(RetainedRecord message) => Write(u =>
    {
        ILiteCollection<BsonDocument> col = ((Unit)u).Db.GetCollection(Retained);
        if (message.Payload.Length == 0)
        {
            col.Delete(message.Topic);
        }
        else
        {
            col.Upsert(new BsonDocument { ["_id"] = message.Topic, ["b"] = message.Payload });
        }

        return true;
    });

    public void Dispose()
    {
        lock (_writeLock)
        {
            _files.Dispose();
        }
    }

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset Ticks(BsonValue v) => new(v.AsInt64, TimeSpan.Zero);

    private static BsonValue OptTicks(DateTimeOffset? at) => at is { } a ? new BsonValue(a.UtcTicks) : BsonValue.Null;

    private static DateTimeOffset? ReadOptTicks(BsonValue v) => v.IsNull ? null : Ticks(v);

    private static StoredPerson ToStored(PersonState s, IReadOnlyList<WalletEntry> recent) => new()
    {
        Pid = s.Pid,
        Value = s.Value,
        Points = s.Points,
        PointsBus = s.PointsBus,
        PointsVolunteer = s.PointsVolunteer,
        PointsHealth = s.PointsHealth,
        InDebt = s.InDebt,
        NextCloseAt = s.NextCloseAt?.UtcTicks,
        Trips = s.Trips as List<Trip> ?? [.. s.Trips],
        Revision = s.Revision,
        Entries = [.. recent.Select(e => new StoredEntry
        {
            Key = e.Key,
            Kind = e.Kind,
            Value = e.Value,
            Points = e.Points,
            Source = e.Source,
            At = e.At.UtcTicks,
            RecordedAt = e.RecordedAt.UtcTicks,
            Description = e.Description,
            Adjustment = e.Adjustment,
        })],
    };

    private static PersonState FromStored(StoredPerson p, IReadOnlyList<Posting> postings) => new(
        p.Pid, p.Value, p.Points, p.PointsBus, p.PointsVolunteer, p.PointsHealth, p.InDebt,
        p.NextCloseAt is { } nc ? new DateTimeOffset(nc, TimeSpan.Zero) : null, p.Trips, postings, p.Revision);

    private static WalletEntry FromStored(string pid, StoredEntry e) => new(
        pid, e.Key, e.Kind, e.Value, e.Points, e.Source, new DateTimeOffset(e.At, TimeSpan.Zero), new DateTimeOffset(e.RecordedAt, TimeSpan.Zero), e.Description, e.Adjustment);

    private static BsonDocument EntryDocument(WalletEntry e) => new()
    {
        ["key"] = e.Key,
        ["kind"] = e.Kind,
        ["value"] = e.Value,
        ["points"] = e.Points,
        ["src"] = e.Source,
        ["at"] = e.At.UtcTicks,
        ["rec"] = e.RecordedAt.UtcTicks,
        ["desc"] = e.Description,
        ["adj"] = e.Adjustment,
    };

    private static WalletEntry ReadEntry(string pid, BsonDocument d) => new(
        pid, d["key"].AsString, d["kind"].AsString, d["value"].AsInt64, d["points"].AsInt64, d["src"].AsString,
        Ticks(d["at"]), Ticks(d["rec"]), d["desc"].AsString, d["adj"].AsBoolean);

    private static CheckInRecord ReadCheckIn(BsonDocument d) => new(
        d["p"].AsString, d["c"].AsString, DateOnly.ParseExact(d["dt"].AsString, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        d["no"].AsString, d["q"].AsInt32, d["child"].AsBoolean, Ticks(d["at"]));

    private static ParticipationRecord ReadParticipation(BsonDocument d) => new(
        d["p"].AsString, d["ev"].AsString, d["sec"].AsString, d["sid"].AsString, Ticks(d["in"]), ReadOptTicks(d["out"]), d["pts"].AsInt64);

    private static DeviceProgress ReadDevice(BsonDocument d) => new(d["_id"].AsString, unchecked((ulong)d["upTo"].AsInt64), Ticks(d["seen"]), d["n"].AsInt64);

    private static QuarantineRecord ReadQuarantine(BsonDocument d) => new(
        d["_id"].AsString, d["scope"].AsString, d["dev"].AsString, d["topic"].AsString, d["code"].AsString, d["reason"].AsString,
        d["seq"].IsNull ? null : unchecked((ulong)d["seq"].AsInt64), Ticks(d["at"]), d["b"].AsBinary);

    /// <summary>One unit of work inside the LiteDB transaction of <see cref="Write{T}"/>.</summary>
    private sealed class Unit(LiteDbIngestStore store) : IIngestWrite
    {
        private readonly List<TapRecord> _newTaps = [];

        // This unit's taps by person: a unit of a group commit holds hundreds of persons and taps, so scanning
        // _newTaps once per evaluated person grew with the square of the group's size.
        private readonly Dictionary<string, List<TapRecord>> _newTapsByPerson = new(StringComparer.Ordinal);
        private readonly HashSet<(string, ulong)> _newKeys = [];
        private readonly List<(string Pid, TopUp TopUp)> _newTopUps = [];
        private readonly Dictionary<string, CachedPerson> _newPersons = new(StringComparer.Ordinal);
        private readonly Dictionary<string, DeviceProgress> _newDevices = new(StringComparer.Ordinal);

        public LiteDatabase Db { get; } = store._db;

        // Where this unit's taps go: the units document of each, by index in _newTaps.
        private long _firstUnitDoc;
        private long _unitDocs;
        private long _personLogDocs;

        /// <summary>
        /// Writes the unit's taps and re-evaluated persons as a few documents, before the commit: two inserts
        /// per unit instead of one per tap and one per person. Layouts (ids rise, so inserts append to the index):
        /// <c>units { _id: Int64, b: UTF-8 JSON array of taps (binary, see <see cref="StoreJson.Taps(IReadOnlyList{TapRecord})"/>) }</c>;
        /// <c>personlog { _id: Int64, b: UTF-8 JSON array of <see cref="StoredPerson"/> (binary) }</c>.
        /// At most <see cref="MaxPerDocument"/> taps or <see cref="PersonsPerDocument"/> persons per document.
        /// </summary>
        public void WriteUnit()
        {
            _firstUnitDoc = store._nextUnitDoc;
            foreach (TapRecord[] part in _newTaps.Chunk(MaxPerDocument))
            {
                Db.GetCollection(Units).Insert(new BsonDocument { ["_id"] = _firstUnitDoc + _unitDocs++, ["b"] = StoreJson.Taps(part) });
            }

            foreach (CachedPerson[] part in _newPersons.Values.Chunk(PersonsPerDocument))
            {
                byte[] persons = StoreJson.Persons([.. part.Select(p => ToStored(p.State, p.RecentEntries))]);
                Db.GetCollection(PersonLog).Insert(new BsonDocument { ["_id"] = store._nextPersonLogDoc + _personLogDocs++, ["b"] = persons });
            }
        }

        /// <summary>After the commit: what this unit wrote becomes part of the caches.</summary>
        public void Publish()
        {
            store._nextUnitDoc += _unitDocs;
            store._nextPersonLogDoc += _personLogDocs;
            store._personsLogged += _newPersons.Count;
            for (int i = 0; i < _newTaps.Count; i++)
            {
                store.CacheTap(_newTaps[i], _firstUnitDoc + (i / MaxPerDocument));
            }

            store.EvictIfOver();

            foreach ((string pid, TopUp t) in _newTopUps)
            {
                store.CacheTopUp(pid, t);
            }

            foreach ((string pid, CachedPerson p) in _newPersons)
            {
                store._persons[pid] = p;
            }

            foreach ((string device, DeviceProgress p) in _newDevices)
            {
                store._devices[device] = p;
            }
        }

        public bool TryAddTap(TapRecord tap)
        {
            if ((store._seqs.TryGetValue(tap.Device, out HashSet<ulong>? seqs) && seqs.Contains(tap.Seq)) || !_newKeys.Add((tap.Device, tap.Seq)))
            {
                return false;
            }

            _newTaps.Add(tap);
            if (tap.Pid is not null)
            {
                Add(_newTapsByPerson, tap.Pid, tap);
            }

            return true;
        }

        public IReadOnlyList<TapRecord> TapsOfPerson(string pid)
        {
            List<TapRecord> list;
            if (store._evicted.Remove(pid, out List<TapLocation>? keys))
            {
                // Read back from disk by key (committed taps only; this unit's own are added below) and cache again.
                List<CachedTap> loaded = ReadBack(keys);
                store._tapsByPerson[pid] = loaded;
                store._cachedTaps += loaded.Count;
                list = [.. loaded.Select(c => c.Tap)];
            }
            else
            {
                list = store._tapsByPerson.TryGetValue(pid, out List<CachedTap>? cached) ? [.. cached.Select(c => c.Tap)] : [];
            }

            if (_newTapsByPerson.TryGetValue(pid, out List<TapRecord>? mine))
            {
                list.AddRange(mine);
            }

            return list;
        }

        private List<CachedTap> ReadBack(List<TapLocation> keys)
        {
            var loaded = new List<CachedTap>(keys.Count);
            ILiteCollection<BsonDocument> units = Db.GetCollection(Units);
            foreach (IGrouping<long, TapLocation> inDoc in keys.GroupBy(k => k.Batch))
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

        public IReadOnlyList<TapRecord> TripEnds(string vehicle, DateTimeOffset from, DateTimeOffset to)
        {
            IEnumerable<TapRecord> all = store._tripEndsByVehicle.TryGetValue(vehicle, out List<TapRecord>? cached) ? cached : [];
            return [.. all.Concat(_newTaps.Where(t => t.Pid is null && t.Type == EventTypes.TripEnd && t.Vehicle == vehicle)).Where(t => t.At >= from && t.At <= to)];
        }

        public IReadOnlyCollection<string> PersonsBoarded(string vehicle, DateTimeOffset from, DateTimeOffset to)
        {
            IEnumerable<TapRecord> all = store._boardsByVehicle.TryGetValue(vehicle, out List<TapRecord>? cached) ? cached : [];
            return all.Concat(_newTaps.Where(t => t.Type == EventTypes.Board && t.Vehicle == vehicle))
                .Where(t => t.Pid is not null && t.At >= from && t.At <= to)
                .Select(t => t.Pid!).ToHashSet(StringComparer.Ordinal);
        }

        public IReadOnlyList<TopUp> TopUpsOf(string pid)
        {
            List<TopUp> list = store._topUpsByPerson.TryGetValue(pid, out List<TopUp>? cached) ? [.. cached] : [];
            list.AddRange(_newTopUps.Where(t => t.Pid == pid).Select(t => t.TopUp));
            return list;
        }

        public (string Pid, TopUp TopUp)? FindTopUp(string receipt)
        {
            BsonDocument? d = Db.GetCollection(TopUps).FindById(receipt);
            return d is null ? null : (d["p"].AsString, new TopUp(receipt, d["amount"].AsInt64, Ticks(d["at"])));
        }

        public bool TryAddTopUp(string pid, TopUp topUp)
        {
            ILiteCollection<BsonDocument> col = Db.GetCollection(TopUps);
            if (col.FindById(topUp.Receipt) is not null)
            {
                return false;
            }

            col.Insert(new BsonDocument { ["_id"] = topUp.Receipt, ["p"] = pid, ["amount"] = topUp.Amount, ["at"] = topUp.At.UtcTicks });
            _newTopUps.Add((pid, topUp));
            return true;
        }

        public PersonState? GetPersonForUpdate(string pid) =>
            _newPersons.TryGetValue(pid, out CachedPerson? p) || store._persons.TryGetValue(pid, out p) ? p.State : null;

        public void PutPerson(PersonState s, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations)
        {
            CachedPerson? before = _newPersons.TryGetValue(s.Pid, out CachedPerson? p) || store._persons.TryGetValue(s.Pid, out p) ? p : null;
            List<WalletEntry> recent = [.. before?.RecentEntries ?? [], .. newEntries];
            if (recent.Count > InlineEntries)
            {
                Db.GetCollection(Entries).Insert(new BsonDocument { ["p"] = s.Pid, ["e"] = new BsonArray(recent.Select(e => (BsonValue)EntryDocument(e))) });
                recent = [];
            }

            // Logged (with the unit's other persons) in WriteUnit.
            _newPersons[s.Pid] = new CachedPerson(s, checkIns.Count, participations.Count, recent);

            // Most persons have neither check-ins nor participations: skip rewriting empty sets.
            ILiteCollection<BsonDocument> ci = Db.GetCollection(CheckInsCol);
            if ((before?.CheckIns ?? 0) > 0)
            {
                ci.DeleteMany(Query.EQ("p", s.Pid));
            }

            if (checkIns.Count > 0)
            {
                ci.InsertBulk(checkIns.Select(c => new BsonDocument
                {
                    ["_id"] = c.Pid + "|" + c.Clinic + "|" + Day(c.Date),
                    ["p"] = c.Pid,
                    ["c"] = c.Clinic,
                    ["dt"] = Day(c.Date),
                    ["cd"] = c.Clinic + "|" + Day(c.Date),
                    ["no"] = c.PatientNo,
                    ["q"] = c.Queue,
                    ["child"] = c.ChildMedicalSubsidy,
                    ["at"] = c.At.UtcTicks,
                }));
            }

            ILiteCollection<BsonDocument> pa = Db.GetCollection(ParticipationsCol);
            if ((before?.Participations ?? 0) > 0)
            {
                pa.DeleteMany(Query.EQ("p", s.Pid));
            }

            if (participations.Count > 0)
            {
                pa.InsertBulk(participations.Select(p => new BsonDocument
                {
                    ["_id"] = p.Pid + "|" + p.Event,
                    ["p"] = p.Pid,
                    ["ev"] = p.Event,
                    ["sec"] = p.Sector,
                    ["sid"] = p.SectorId,
                    ["in"] = p.In.UtcTicks,
                    ["out"] = OptTicks(p.Out),
                    ["pts"] = p.Points,
                }));
            }
        }

        public DeviceProgress? GetDevice(string device) =>
            _newDevices.TryGetValue(device, out DeviceProgress? p) || store._devices.TryGetValue(device, out p) ? p : null;

        public void PutDevice(DeviceProgress p)
        {
            _newDevices[p.Device] = p;
            Db.GetCollection(DevicesCol).Upsert(DeviceDocument(p));
        }

        private static BsonDocument DeviceDocument(DeviceProgress p) => new()
        {
            ["_id"] = p.Device,
            ["upTo"] = unchecked((long)p.UpTo),
            ["seen"] = p.LastSeen.UtcTicks,
            ["n"] = p.EventsApplied,
        };

        public bool AddQuarantine(QuarantineRecord q)
        {
            ILiteCollection<BsonDocument> col = Db.GetCollection(QuarantineCol);
            if (col.FindById(q.Id) is not null)
            {
                return false;
            }

            col.Insert(new BsonDocument
            {
                ["_id"] = q.Id,
                ["scope"] = q.Scope,
                ["dev"] = q.Device,
                ["topic"] = q.Topic,
                ["code"] = q.Code,
                ["reason"] = q.Reason,
                ["seq"] = q.Seq is { } s ? new BsonValue(unchecked((long)s)) : BsonValue.Null,
                ["at"] = q.At.UtcTicks,
                ["b"] = q.Payload,
            });
            return true;
        }

        public string? GetMeta(string key) => Db.GetCollection(Meta).FindById(key)?["v"].AsString;

        public void SetMeta(string key, string value) => Db.GetCollection(Meta).Upsert(new BsonDocument { ["_id"] = key, ["v"] = value });
    }
}
