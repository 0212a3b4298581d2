using System.Collections.Concurrent;
using System.Globalization;
using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The default store: one LiteDB file under the data directory (one ingest process). Units of work
/// are serialised by a lock and made durable by a checkpoint and fsync before <see cref="Write{T}"/> returns.
/// </summary>
public sealed class LiteDbIngestStore : IIngestStore
{
    private const string Taps = "taps";
    private const string Persons = "persons";
    private const string Entries = "entries";
    private const string CheckInsCol = "checkins";
    private const string ParticipationsCol = "participations";
    private const string DevicesCol = "devices";
    private const string QuarantineCol = "quarantine";
    private const string TopUps = "topups";
    private const string Meta = "meta";
    private const string Retained = "retained";

    private readonly Lock _writeLock = new();
    private readonly FsyncStream _data;
    private readonly FsyncStream _log;
    private readonly LiteDatabase _db;

    // Write-path caches, touched only under _writeLock and only after a commit succeeded. LiteDB's index
    // lookups cost milliseconds here once a unit holds pending pages, so the facts the rules read per person
    // (taps, trip ends, top-ups, the stored state) and the de-duplication keys are served from memory; LiteDB
    // stays the durable record and the source of these caches at start. A multi-process store (PostgreSQL)
    // reads them from the database inside its transaction instead.
    private readonly Dictionary<string, HashSet<ulong>> _seqs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _tapsByPerson = new(StringComparer.Ordinal);

    // Persons whose taps were dropped from memory to keep it bounded, with the keys (device, seq) of those
    // taps: they are read back from LiteDB by primary key. Keeping the keys (16 bytes a tap) spares the taps
    // collection a secondary index by person, whose random keys made every tap insert dirty pages all over
    // the index (the largest cost of a unit once the store holds many persons).
    private readonly Dictionary<string, List<(string Device, ulong Seq)>> _evicted = new(StringComparer.Ordinal);
    private readonly int _maxCachedTaps;
    private int _cachedTaps;
    private readonly Dictionary<string, List<TapRecord>> _tripEndsByVehicle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _boardsByVehicle = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TopUp>> _topUpsByPerson = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _topUpPerson = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CachedPerson> _persons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceProgress> _devices = new(StringComparer.Ordinal);

    private sealed record CachedPerson(PersonState State, int CheckIns, int Participations, BsonArray RecentEntries, BsonValue DocId);

    // A person's document is keyed by a number given in order of first write, not by the PID: new persons then
    // append to the primary index instead of inserting at random places in it (which dirtied a page of the
    // index per new person). The PID is a field of the document; this map (complete: loaded at start, updated
    // after each commit) finds the document of a PID for readers on other threads.
    private readonly ConcurrentDictionary<string, BsonValue> _personDocIds = new(StringComparer.Ordinal);
    private long _nextPersonDocId = 1;

    /// <summary>Entries kept inline in the person's document (one write per person and unit); older ones move to <c>entries</c>.</summary>
    private const int InlineEntries = 128;

    /// <param name="maxCachedTaps">Taps kept in memory for the rules; beyond it the least recently added persons are read from disk.</param>
    public LiteDbIngestStore(string directory, int maxCachedTaps = 2_000_000)
    {
        _maxCachedTaps = maxCachedTaps;
        Directory.CreateDirectory(directory);
        DataPath = Path.Combine(directory, "ingest.db");
        _data = new FsyncStream(DataPath);
        _log = new FsyncStream(Path.Combine(directory, "ingest-log.db"));
        _db = new LiteDatabase(_data, new BsonMapper(), _log);
        // Checkpoints are explicit (after each unit); keep LiteDB from starting its own mid-unit.
        _db.CheckpointSize = 0;

        // Taps have only their primary key (device/seq): evicted persons are read back by key (see _evicted).
        _db.GetCollection(Taps).DropIndex("p");
        // Debtors and persons due for the clock are answered from the person cache (every person's state is
        // in memory): secondary indexes on them cost two index updates per person write. Stores made before
        // this still carry them; drop them so they are no longer maintained.
        _db.GetCollection(Persons).DropIndex("debt");
        _db.GetCollection(Persons).DropIndex("nc");
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
        foreach (BsonDocument d in _db.GetCollection(Taps).FindAll())
        {
            CacheTap(ReadTap(d));
        }

        EvictIfOver();

        var checkIns = _db.GetCollection(CheckInsCol).FindAll().GroupBy(d => d["p"].AsString).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var participations = _db.GetCollection(ParticipationsCol).FindAll().GroupBy(d => d["p"].AsString).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        // The postings an evaluation is diffed against are the entries summed by key (entries are the diffs).
        Dictionary<string, List<BsonValue>> archived = _db.GetCollection(Entries).FindAll()
            .GroupBy(d => d["p"].AsString).ToDictionary(g => g.Key, g => g.SelectMany(d => d["e"].AsArray).ToList(), StringComparer.Ordinal);
        foreach (BsonDocument d in _db.GetCollection(Persons).FindAll())
        {
            PersonState st = ReadPerson(d)!;
            IEnumerable<BsonValue> entries = archived.GetValueOrDefault(st.Pid, []).Concat(d["e"].AsArray);
            st = st with { Postings = PostingsFromEntries(st.Pid, entries) };
            BsonValue docId = d["_id"];
            _persons[st.Pid] = new CachedPerson(st, checkIns.GetValueOrDefault(st.Pid), participations.GetValueOrDefault(st.Pid), d["e"].AsArray, docId);
            _personDocIds[st.Pid] = docId;
            if (docId.IsInt64)
            {
                _nextPersonDocId = Math.Max(_nextPersonDocId, docId.AsInt64 + 1);
            }
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

    private static List<Posting> PostingsFromEntries(string pid, IEnumerable<BsonValue> entries) =>
        [.. entries.Select(e => ReadEntry(pid, e.AsDocument)).GroupBy(e => e.Key, StringComparer.Ordinal)
            .Select(g => new Posting(g.Key, g.First().Kind, g.Sum(e => e.Value), g.Sum(e => e.Points), g.First().Source, g.First().At, g.First().Description))
            .Where(p => p.Value != 0 || p.Points != 0)];

    private void CacheTap(TapRecord t)
    {
        if (!_seqs.TryGetValue(t.Device, out HashSet<ulong>? seqs))
        {
            _seqs[t.Device] = seqs = [];
        }

        seqs.Add(t.Seq);
        if (t.Pid is not null)
        {
            if (_evicted.TryGetValue(t.Pid, out List<(string, ulong)>? keys))
            {
                keys.Add((t.Device, t.Seq));
            }
            else
            {
                Add(_tapsByPerson, t.Pid, t);
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
        foreach ((string pid, List<TapRecord> taps) in _tapsByPerson)
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
            _tapsByPerson.Remove(pid, out List<TapRecord>? taps);
            _evicted[pid] = [.. taps!.Select(t => (t.Device, t.Seq))];
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

    public T Write<T>(Func<IIngestWrite, T> work)
    {
        lock (_writeLock)
        {
            if (!_db.BeginTrans())
            {
                throw new InvalidOperationException("a LiteDB transaction is already open on this thread");
            }

            T result;
            var unit = new Unit(this);
            try
            {
                result = work(unit);
                _db.Commit();
            }
            catch
            {
                _db.Rollback();
                throw;
            }

            Durable();
            unit.Publish();
            return result;
        }
    }

    // LiteDB's commit reaches its log without fsync; the checkpoint waits for the log writer, copies
    // the pages into the data file, and the fsyncs make both files durable before the caller acks.
    private void Durable()
    {
        _db.Checkpoint();
        _log.FlushToDisk();
        _data.FlushToDisk();
    }

    public PersonState? GetPerson(string pid) => ReadPerson(PersonDocument(pid));

    private BsonDocument? PersonDocument(string pid) =>
        _personDocIds.TryGetValue(pid, out BsonValue? id) ? _db.GetCollection(Persons).FindById(id) : null;

    public IReadOnlyList<WalletEntry> EntriesOf(string pid) =>
        _db.GetCollection(Entries).Find(Query.EQ("p", pid)).SelectMany(d => d["e"].AsArray)
            .Concat(PersonDocument(pid)?["e"].AsArray ?? [])
            .Select(e => ReadEntry(pid, e.AsDocument)).OrderBy(e => e.RecordedAt).ToList();

    public IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date) =>
        _db.GetCollection(CheckInsCol).Find(Query.EQ("cd", clinic + "|" + Day(date))).Select(ReadCheckIn).OrderBy(c => c.Queue).ToList();

    public IReadOnlyList<ParticipationRecord> Participations(string eventId) =>
        _db.GetCollection(ParticipationsCol).Find(Query.EQ("ev", eventId)).Select(ReadParticipation).OrderBy(p => p.In).ToList();

    public IReadOnlyList<DeviceProgress> Devices() => _db.GetCollection(DevicesCol).FindAll().Select(ReadDevice).ToList();

    public IReadOnlyList<QuarantineRecord> Quarantine(int limit) =>
        _db.GetCollection(QuarantineCol).FindAll().Select(ReadQuarantine).OrderByDescending(q => q.At).Take(limit).ToList();

    public long QuarantineCount() => _db.GetCollection(QuarantineCol).LongCount();

    // The person cache holds every stored person's committed state (loaded at start, updated after each commit).
    public IReadOnlyList<string> PersonsInDebt()
    {
        lock (_writeLock)
        {
            return [.. _persons.Values.Where(p => p.State.InDebt).Select(p => p.State.Pid)];
        }
    }

    public IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now)
    {
        lock (_writeLock)
        {
            return [.. _persons.Values.Where(p => p.State.NextCloseAt is { } at && at <= now).Select(p => p.State.Pid)];
        }
    }

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
        _db.Dispose();
        _data.Dispose();
        _log.Dispose();
    }

    internal static string TapId(string device, ulong seq) => device + "/" + seq.ToString("D20", CultureInfo.InvariantCulture);

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset Ticks(BsonValue v) => new(v.AsInt64, TimeSpan.Zero);

    private static BsonValue OptTicks(DateTimeOffset? at) => at is { } a ? new BsonValue(a.UtcTicks) : BsonValue.Null;

    private static DateTimeOffset? ReadOptTicks(BsonValue v) => v.IsNull ? null : Ticks(v);

    private static TapRecord ReadTap(BsonDocument d) => new(
        d["d"].AsString,
        unchecked((ulong)d["s"].AsInt64),
        d["p"].IsNull ? null : d["p"].AsString,
        d["t"].AsString,
        d["v"].IsNull ? null : d["v"].AsString,
        Ticks(d["a"]),
        Ticks(d["r"]),
        d["e"].IsString ? StoreJson.Tap(d["e"].AsString) : StoreJson.Tap(d["e"].AsBinary));

    // Documents written before persons were keyed by number carry the PID as _id.
    private static PersonState? ReadPerson(BsonDocument? d) => d is null ? null : new PersonState(
        d.TryGetValue("pid", out BsonValue? pid) ? pid.AsString : d["_id"].AsString,
        d["value"].AsInt64,
        d["points"].AsInt64,
        d["pBus"].AsInt64,
        d["pVol"].AsInt64,
        d["pHealth"].AsInt64,
        d["debt"].AsBoolean,
        d["nc"].AsInt64 == long.MaxValue ? null : Ticks(d["nc"]),
        StoreJson.Trips(d["trips"].AsString),
        [],
        d["rev"].AsInt64);

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

        /// <summary>After the commit: what this unit wrote becomes part of the caches.</summary>
        public void Publish()
        {
            foreach (TapRecord t in _newTaps)
            {
                store.CacheTap(t);
            }

            store.EvictIfOver();

            foreach ((string pid, TopUp t) in _newTopUps)
            {
                store.CacheTopUp(pid, t);
            }

            foreach ((string pid, CachedPerson p) in _newPersons)
            {
                store._persons[pid] = p;
                store._personDocIds[pid] = p.DocId;
            }

            foreach ((string device, DeviceProgress p) in _newDevices)
            {
                store._devices[device] = p;
            }
        }

        public bool TryAddTap(TapRecord tap)
        {
            ILiteCollection<BsonDocument> col = Db.GetCollection(Taps);
            string id = TapId(tap.Device, tap.Seq);
            if ((store._seqs.TryGetValue(tap.Device, out HashSet<ulong>? seqs) && seqs.Contains(tap.Seq)) || !_newKeys.Add((tap.Device, tap.Seq)))
            {
                return false;
            }

            _newTaps.Add(tap);
            if (tap.Pid is not null)
            {
                Add(_newTapsByPerson, tap.Pid, tap);
            }

            col.Insert(new BsonDocument
            {
                ["_id"] = id,
                ["d"] = tap.Device,
                ["s"] = unchecked((long)tap.Seq),
                ["p"] = tap.Pid is null ? BsonValue.Null : tap.Pid,
                ["t"] = tap.Type,
                ["v"] = tap.Vehicle is null ? BsonValue.Null : tap.Vehicle,
                ["a"] = tap.At.UtcTicks,
                ["r"] = tap.ReceivedAt.UtcTicks,
                ["e"] = StoreJson.TapUtf8(tap.Event),
            });
            return true;
        }

        public IReadOnlyList<TapRecord> TapsOfPerson(string pid)
        {
            List<TapRecord> list;
            if (store._evicted.Remove(pid, out List<(string Device, ulong Seq)>? keys))
            {
                // Read back from disk by key (committed taps only; this unit's own are added below) and cache again.
                ILiteCollection<BsonDocument> col = Db.GetCollection(Taps);
                List<TapRecord> loaded = [.. keys.Select(k => ReadTap(col.FindById(TapId(k.Device, k.Seq)))).Where(t => !_newKeys.Contains((t.Device, t.Seq)))];
                store._tapsByPerson[pid] = loaded;
                store._cachedTaps += loaded.Count;
                list = [.. loaded];
            }
            else
            {
                list = store._tapsByPerson.TryGetValue(pid, out List<TapRecord>? cached) ? [.. cached] : [];
            }

            if (_newTapsByPerson.TryGetValue(pid, out List<TapRecord>? mine))
            {
                list.AddRange(mine);
            }

            return list;
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
            var recent = new BsonArray((IEnumerable<BsonValue>?)before?.RecentEntries ?? []);
            recent.AddRange(newEntries.Select(e => new BsonDocument
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
            }));
            if (recent.Count > InlineEntries)
            {
                Db.GetCollection(Entries).Insert(new BsonDocument { ["p"] = s.Pid, ["e"] = recent });
                recent = [];
            }

            BsonValue docId = before?.DocId ?? new BsonValue(store._nextPersonDocId++);
            var doc = new BsonDocument
            {
                ["_id"] = docId,
                ["pid"] = s.Pid,
                ["value"] = s.Value,
                ["points"] = s.Points,
                ["pBus"] = s.PointsBus,
                ["pVol"] = s.PointsVolunteer,
                ["pHealth"] = s.PointsHealth,
                ["debt"] = s.InDebt,
                ["nc"] = s.NextCloseAt?.UtcTicks ?? long.MaxValue,
                ["trips"] = StoreJson.Trips(s.Trips),
                ["rev"] = s.Revision,
                ["e"] = recent,
            };
            if (before is null)
            {
                Db.GetCollection(Persons).Insert(doc);
            }
            else
            {
                Db.GetCollection(Persons).Update(doc);
            }

            _newPersons[s.Pid] = new CachedPerson(s, checkIns.Count, participations.Count, recent, docId);

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
