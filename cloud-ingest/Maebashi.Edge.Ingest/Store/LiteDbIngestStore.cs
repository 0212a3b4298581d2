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

    public LiteDbIngestStore(string directory)
    {
        Directory.CreateDirectory(directory);
        DataPath = Path.Combine(directory, "ingest.db");
        _data = new FsyncStream(DataPath);
        _log = new FsyncStream(Path.Combine(directory, "ingest-log.db"));
        _db = new LiteDatabase(_data, new BsonMapper(), _log);
        // Checkpoints are explicit (after each unit); keep LiteDB from starting its own mid-unit.
        _db.CheckpointSize = 0;

        _db.GetCollection(Taps).EnsureIndex("p");
        _db.GetCollection(Taps).EnsureIndex("v");
        _db.GetCollection(Persons).EnsureIndex("debt");
        _db.GetCollection(Persons).EnsureIndex("nc");
        _db.GetCollection(Entries).EnsureIndex("p");
        _db.GetCollection(CheckInsCol).EnsureIndex("p");
        _db.GetCollection(CheckInsCol).EnsureIndex("cd");
        _db.GetCollection(ParticipationsCol).EnsureIndex("p");
        _db.GetCollection(ParticipationsCol).EnsureIndex("ev");
        _db.GetCollection(TopUps).EnsureIndex("p");
        Durable();
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
            try
            {
                result = work(new Unit(_db));
                _db.Commit();
            }
            catch
            {
                _db.Rollback();
                throw;
            }

            Durable();
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

    public PersonState? GetPerson(string pid) => ReadPerson(_db.GetCollection(Persons).FindById(pid));

    public IReadOnlyList<WalletEntry> EntriesOf(string pid) =>
        _db.GetCollection(Entries).Find(Query.EQ("p", pid)).Select(ReadEntry).OrderBy(e => e.RecordedAt).ToList();

    public IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date) =>
        _db.GetCollection(CheckInsCol).Find(Query.EQ("cd", clinic + "|" + Day(date))).Select(ReadCheckIn).OrderBy(c => c.Queue).ToList();

    public IReadOnlyList<ParticipationRecord> Participations(string eventId) =>
        _db.GetCollection(ParticipationsCol).Find(Query.EQ("ev", eventId)).Select(ReadParticipation).OrderBy(p => p.In).ToList();

    public IReadOnlyList<DeviceProgress> Devices() => _db.GetCollection(DevicesCol).FindAll().Select(ReadDevice).ToList();

    public IReadOnlyList<QuarantineRecord> Quarantine(int limit) =>
        _db.GetCollection(QuarantineCol).FindAll().Select(ReadQuarantine).OrderByDescending(q => q.At).Take(limit).ToList();

    public long QuarantineCount() => _db.GetCollection(QuarantineCol).LongCount();

    public IReadOnlyList<string> PersonsInDebt() => _db.GetCollection(Persons).Find(Query.EQ("debt", true)).Select(d => d["_id"].AsString).ToList();

    public IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now) =>
        _db.GetCollection(Persons).Find(Query.LTE("nc", now.UtcTicks)).Select(d => d["_id"].AsString).ToList();

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
        StoreJson.Tap(d["e"].AsString));

    private static PersonState? ReadPerson(BsonDocument? d) => d is null ? null : new PersonState(
        d["_id"].AsString,
        d["value"].AsInt64,
        d["points"].AsInt64,
        d["pBus"].AsInt64,
        d["pVol"].AsInt64,
        d["pHealth"].AsInt64,
        d["debt"].AsBoolean,
        d["nc"].AsInt64 == long.MaxValue ? null : Ticks(d["nc"]),
        StoreJson.Trips(d["trips"].AsString),
        StoreJson.Postings(d["postings"].AsString),
        d["rev"].AsInt64);

    private static WalletEntry ReadEntry(BsonDocument d) => new(
        d["p"].AsString, d["key"].AsString, d["kind"].AsString, d["value"].AsInt64, d["points"].AsInt64, d["src"].AsString,
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
    private sealed class Unit(LiteDatabase db) : IIngestWrite
    {
        public LiteDatabase Db { get; } = db;

        public bool TryAddTap(TapRecord tap)
        {
            ILiteCollection<BsonDocument> col = Db.GetCollection(Taps);
            string id = TapId(tap.Device, tap.Seq);
            if (col.FindById(id) is not null)
            {
                return false;
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
                ["e"] = StoreJson.Tap(tap.Event),
            });
            return true;
        }

        public IReadOnlyList<TapRecord> TapsOfPerson(string pid) => Db.GetCollection(Taps).Find(Query.EQ("p", pid)).Select(ReadTap).ToList();

        public IReadOnlyList<TapRecord> TripEnds(string vehicle, DateTimeOffset from, DateTimeOffset to) =>
            Db.GetCollection(Taps).Find(Query.EQ("v", vehicle))
                .Where(d => d["t"].AsString == EventTypes.TripEnd && d["a"].AsInt64 >= from.UtcTicks && d["a"].AsInt64 <= to.UtcTicks)
                .Select(ReadTap).ToList();

        public IReadOnlyCollection<string> PersonsBoarded(string vehicle, DateTimeOffset from, DateTimeOffset to) =>
            Db.GetCollection(Taps).Find(Query.EQ("v", vehicle))
                .Where(d => d["t"].AsString == EventTypes.Board && !d["p"].IsNull && d["a"].AsInt64 >= from.UtcTicks && d["a"].AsInt64 <= to.UtcTicks)
                .Select(d => d["p"].AsString).ToHashSet(StringComparer.Ordinal);

        public IReadOnlyList<TopUp> TopUpsOf(string pid) =>
            Db.GetCollection(TopUps).Find(Query.EQ("p", pid)).Select(d => new TopUp(d["_id"].AsString, d["amount"].AsInt64, Ticks(d["at"]))).ToList();

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
            return true;
        }

        public PersonState? GetPersonForUpdate(string pid) => ReadPerson(Db.GetCollection(Persons).FindById(pid));

        public void PutPerson(PersonState s, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations)
        {
            Db.GetCollection(Persons).Upsert(new BsonDocument
            {
                ["_id"] = s.Pid,
                ["value"] = s.Value,
                ["points"] = s.Points,
                ["pBus"] = s.PointsBus,
                ["pVol"] = s.PointsVolunteer,
                ["pHealth"] = s.PointsHealth,
                ["debt"] = s.InDebt,
                ["nc"] = s.NextCloseAt?.UtcTicks ?? long.MaxValue,
                ["trips"] = StoreJson.Trips(s.Trips),
                ["postings"] = StoreJson.Postings(s.Postings),
                ["rev"] = s.Revision,
            });

            if (newEntries.Count > 0)
            {
                Db.GetCollection(Entries).InsertBulk(newEntries.Select(e => new BsonDocument
                {
                    ["p"] = e.Pid,
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
            }

            ILiteCollection<BsonDocument> ci = Db.GetCollection(CheckInsCol);
            ci.DeleteMany(Query.EQ("p", s.Pid));
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
            pa.DeleteMany(Query.EQ("p", s.Pid));
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

        public DeviceProgress? GetDevice(string device)
        {
            BsonDocument? d = Db.GetCollection(DevicesCol).FindById(device);
            return d is null ? null : ReadDevice(d);
        }

        public void PutDevice(DeviceProgress p) => Db.GetCollection(DevicesCol).Upsert(new BsonDocument
        {
            ["_id"] = p.Device,
            ["upTo"] = unchecked((long)p.UpTo),
            ["seen"] = p.LastSeen.UtcTicks,
            ["n"] = p.EventsApplied,
        });

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
