using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using Layout = Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The default store: one LiteDB file under the data directory (one ingest process). Units of work are
/// serialised by a lock and made durable (fsync of LiteDB's log) before <see cref="Write{T}"/> returns.
/// </summary>
/// <remarks>
/// Layout (docs/ingest.md, "Storage"; <see cref="LiteDbLayout"/>): a unit of work writes its taps into one
/// <c>daytaps</c> document per person and service day it touched and its de-duplication bits into one <c>seqblocks</c>
/// document per device (<see cref="LiteDbDayTaps"/>), so that an evaluation reads only the days it replays and memory
/// holds a bounded working set (<see cref="LiteDbWriteCache"/>), with the trips, postings and checkpoints of the days
/// its evaluations changed in the same person's day documents (<see cref="LiteDbPersonDays"/>), and the persons it
/// re-evaluated as one document of <c>personlog</c> per 64 persons — a few inserts per unit instead of one per person
/// (LiteDB spends ~20–40 µs on each document insert or update). Every person's state — balances, not history — is in
/// memory; <c>personsnap</c> holds all of them as of a snapshot, written step by step once as many person states were
/// logged as there are persons (at least 100,000), after which the log it covers is deleted
/// (<c>LiteDbIngestStore.Snapshot.cs</c>). Opening the store reads the snapshot, then the person log after it in
/// order: the latest state of each person wins.
/// The parts: <see cref="LiteDbUnitOfWork"/> writes a unit, <see cref="LiteDbWriteCache"/> serves the write
/// path from memory, <see cref="LiteDbMapping"/> maps documents to the model and back.
/// </remarks>
public sealed partial class LiteDbIngestStore : IIngestStore
{
    /// <summary>Legacy quarantine records moved per transaction (each up to 256 KiB).</summary>
    private const int LegacyQuarantineStep = 64;

    /// <summary>Legacy <c>units</c> documents (up to 256 taps each) moved into the day layout per transaction.</summary>
    private const int LegacyUnitsStep = 16;

    /// <summary>Legacy <c>settlements</c> or <c>checkpoints</c> documents moved into the persons' day documents per transaction.</summary>
    private const int LegacyDaysStep = 256;

    /// <summary>Top-ups and adjustments given their (person, time) key per durable step of <see cref="IndexValueChangesByTime"/>.</summary>
    private const int ValueChangesStep = 512;

    /// <summary>Fewest person states logged between two snapshots (more when there are more persons).</summary>
    private const long MinSnapshotInterval = 100_000;

    private readonly Lock _writeLock = new();

    // Set when a committed unit could not be made durable (see Write).
    private Exception? _failed;
    private readonly DurableLiteDatabase _files;
    private readonly LiteDatabase _db;

    // Touched only under _writeLock and only after a commit succeeded (person states are read by any thread).
    private readonly LiteDbWriteCache _cache;

    // Where the next unit's person log document goes, and how many person states were logged since the last snapshot.
    private long _nextPersonLogDoc = 1;
    private long _personsLogged;
    private readonly long? _snapshotEvery;

    /// <param name="cacheCapacity">
    /// Entries of each cache of the working set (persons' latest days of taps, vehicles' days, de-duplication blocks;
    /// <see cref="LiteDbWriteCache"/>): the least recently used beyond it are read from disk again when needed.
    /// </param>
    /// <param name="snapshotEvery">Person states logged between snapshots; by default the number of persons, at least 100,000.</param>
    /// <param name="logFsync">How each unit is made durable; by default the operating system's fsync of LiteDB's log.</param>
    public LiteDbIngestStore(string directory, int cacheCapacity = Layout.DefaultCacheCapacity, long? snapshotEvery = null, ILogFsync? logFsync = null)
    {
        _cache = new LiteDbWriteCache(cacheCapacity);
        _snapshotEvery = snapshotEvery;
        Directory.CreateDirectory(directory);
        DataPath = Path.Combine(directory, "ingest.db");
        _files = new DurableLiteDatabase(DataPath, logFsync);
        _db = _files.Db;
        _db.GetCollection(Layout.Entries).EnsureIndex("p");
        _db.GetCollection(Layout.Entries).EnsureIndex("pn");
        _db.GetCollection(Layout.CheckIns).EnsureIndex("p");
        _db.GetCollection(Layout.CheckIns).EnsureIndex("cd");
        _db.GetCollection(Layout.Participations).EnsureIndex("p");
        _db.GetCollection(Layout.Participations).EnsureIndex("ev");
        _db.GetCollection(Layout.ValueChanges).EnsureIndex("pa");
        _db.GetCollection(Layout.DayTaps).EnsureIndex("dy");
        _db.GetCollection(Layout.DayTaps).EnsureIndex(LiteDbPersonDays.PurgedDay, LiteDbPersonDays.PurgedDayIndex);
        LiteDbQuarantine.EnsureIndexes(_db);
        LiteDbConsoleState.EnsureIndexes(_db);
        Durable();
        MoveLegacyQuarantine();
        MoveLegacyUnits();
        MoveLegacySettledDays();
        IndexValueChangesByTime();
        LoadCaches();
    }

    private void LoadCaches()
    {
        LoadBoards();

        Dictionary<string, StoredPerson> latest = ReadPersonStates();

        // A state keeps its archive's counts; a store written before it did is counted once, here.
        LegacyArchive? archive = latest.Values.Any(p => p.ArchivedDocuments is null || p.ArchivedEntries is null) ? ReadLegacyArchive() : null;

        // Likewise each person's latest top-up, found once for a store written before states kept it.
        Dictionary<string, long>? lastValueChanges = latest.Values.Any(p => p.LastValueChange is null) ? ReadLastValueChanges() : null;
        foreach (StoredPerson p in latest.Values)
        {
            HeldEntries recent = HeldEntries.Of(p.Entries);
            if (p.Checkpoints is { Count: > 0 } checkpoints)
            {
                _cache.AddCheckpoints(p.Pid, checkpoints);
            }

            int archivedDocuments = p.ArchivedDocuments ?? archive?.Documents.GetValueOrDefault(p.Pid) ?? 0;
            int archivedEntries = p.ArchivedEntries ?? archive?.Entries.GetValueOrDefault(p.Pid)?.Count ?? 0;
            long lastValueChange = p.LastValueChange ?? lastValueChanges?.GetValueOrDefault(p.Pid, long.MinValue) ?? long.MinValue;
            _cache.SetPerson(p.Pid, new CachedPerson(LiteDbMapping.FromStored(p), p.CheckIns, p.Participations, recent, archivedDocuments, archivedEntries, lastValueChange));
        }

        if (archive is not null)
        {
            NumberArchivedEntries(archive.Unnumbered);
        }

        MoveLegacyTrips([.. latest.Values.Where(p => p.Trips is not null)]);

        foreach (BsonDocument d in _db.GetCollection(Layout.Devices).FindAll())
        {
            _cache.SetDevice(LiteDbMapping.ReadDevice(d));
        }
    }

    /// <summary>
    /// The boards of the last service days with taps, for the trip_ends that may still follow them (<see cref="LiteDbWriteCache.AddBoard"/>):
    /// the day documents of those days only (index on <c>dy</c>), whatever the history's length.
    /// </summary>
    private void LoadBoards()
    {
        ILiteCollection<BsonDocument> days = _db.GetCollection(Layout.DayTaps);
        // Documents without taps have no dy: they sit under null in the index, below every day.
        if (days.Query().Where(LiteDbQuery.GTE(LiteDbPersonDays.Day, LiteDbMapping.Day(DateOnly.MinValue))).OrderByDescending("dy").Limit(1).FirstOrDefault() is not { } newest)
        {
            return;
        }

        DateOnly last = LiteDbDayTaps.DayOf(newest["_id"].AsString);
        string since = LiteDbMapping.Day(last == DateOnly.MinValue ? last : last.AddDays(-1));
        foreach (BsonDocument d in days.Find(LiteDbQuery.GTE("dy", since)).OrderBy(d => d["dy"].AsString))
        {
            foreach (TapRecord t in LiteDbDayTaps.TapsIn(d).Where(LiteDbDayTaps.IsBoard))
            {
                _cache.AddBoard(t);
            }
        }
    }

    public string DataPath { get; }

    public T Write<T>(Func<IIngestWrite, T> work) => WriteUnit(work);

    private T WriteUnit<T>(Func<LiteDbUnitOfWork, T> work)
    {
        lock (_writeLock)
        {
            if (_failed is not null)
            {
                throw new IOException("the store could not make an earlier unit durable and takes no more; restart the ingest", _failed);
            }

            var unit = new LiteDbUnitOfWork(_db, _cache, _nextPersonLogDoc);
            T result = InTransaction(() =>
            {
                T r = work(unit);
                unit.WriteDocuments();
                return r;
            });

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
            _nextPersonLogDoc += unit.PersonLogDocuments;
            _personsLogged += unit.PersonsLogged;
            if (_personsLogged >= (_snapshotEvery ?? Math.Max(MinSnapshotInterval, _cache.PersonCount)))
            {
                SnapshotUnderLock();
            }

            return result;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one LiteDB transaction: committed when it returns, rolled back when it throws.</summary>
    private T InTransaction<T>(Func<T> work)
    {
        if (!_db.BeginTrans())
        {
            throw new InvalidOperationException("a LiteDB transaction is already open on this thread");
        }

        try
        {
            T result = work();
            _db.Commit();
            return result;
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    /// <summary>One step of a longer move (the snapshot, a deletion): <paramref name="work"/> in its own transaction, made durable.</summary>
    private void DurableStep(Action work)
    {
        InTransaction(() =>
        {
            work();
            return true;
        });
        Durable();
    }

    private void Durable() => _files.MakeDurable();

    public string? PidOfSector(string sectorId) =>
        _db.GetCollection(Layout.Sectors).FindById(sectorId) is { } d ? d["p"].AsString : null;

    public PersonState? GetPerson(string pid) => _cache.TryGetPerson(pid, out CachedPerson? p) ? p.State : null;

    public IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date) =>
        _db.GetCollection(Layout.CheckIns).Find(LiteDbQuery.EQ("cd", LiteDbMapping.ClinicDay(clinic, date))).Select(LiteDbMapping.ReadCheckIn).OrderBy(c => c.Queue).ToList();

    public IReadOnlyList<ParticipationRecord> Participations(string eventId) =>
        _db.GetCollection(Layout.Participations).Find(LiteDbQuery.EQ("ev", eventId)).Select(LiteDbMapping.ReadParticipation).OrderBy(p => p.In).ToList();

    public IReadOnlyList<DeviceProgress> Devices() => _db.GetCollection(Layout.Devices).FindAll().Select(LiteDbMapping.ReadDevice).ToList();

    public QuarantinePage Quarantine(QuarantineQuery query) => LiteDbQuarantine.Page(_db, query);

    public byte[]? QuarantinePayload(long id) => LiteDbQuarantine.Payload(_db, id);

    public int PurgeQuarantine(DateTimeOffset olderThan, int max) => WriteUnit(_ => LiteDbQuarantine.Purge(_db, olderThan, max));

    public IReadOnlyList<QuarantineUsage> QuarantineUsage() => LiteDbQuarantine.Usage(_db);

    /// <summary>
    /// The taps of days before <paramref name="before"/>, oldest day first (index on <c>dy</c>, which only day documents
    /// with taps have: each one looked at is purged, unless it is a person's latest), until about <paramref name="max"/>
    /// taps went; a person's latest day document keeps them. A day document goes whole unless it also holds a person's trips and postings or
    /// checkpoint, which stay (<see cref="LiteDbPersonDays"/>: a day with trips moves to <c>dp</c>). The cached days are
    /// dropped after a purge that removed any, so no evaluation reads a purged tap from memory.
    /// </summary>
    public int PurgeTaps(DateOnly before, int max) => WriteUnit(_ =>
    {
        ILiteCollection<BsonDocument> days = _db.GetCollection(Layout.DayTaps);
        var purge = new List<BsonDocument>();
        int taps = 0;

        // From the first day on: a document without dy is indexed under null, below every day.
        IEnumerable<BsonDocument> old = before == DateOnly.MinValue ? []
            : days.Find(LiteDbQuery.Between(LiteDbPersonDays.Day, LiteDbMapping.Day(DateOnly.MinValue), LiteDbMapping.Day(before.AddDays(-1))));
        foreach (BsonDocument d in old)
        {
            if (LiteDbDayTaps.IsLatestPersonDay(_db, d["_id"].AsString))
            {
                continue;
            }

            purge.Add(d);
            taps += LiteDbDayTaps.TapsIn(d).Count;
            if (taps >= max)
            {
                break;
            }
        }

        foreach (BsonDocument d in purge)
        {
            string day = d[LiteDbPersonDays.Day].AsString;
            d.Remove(LiteDbPersonDays.Taps);
            d.Remove(LiteDbPersonDays.Day);
            if (LiteDbPersonDays.IsEmpty(d))
            {
                days.Delete(d["_id"]);
                continue;
            }

            if (d.ContainsKey(LiteDbPersonDays.Settled))
            {
                d[LiteDbPersonDays.PurgedDay] = new BsonArray { day };
            }

            days.Update(d);
        }

        if (purge.Count > 0)
        {
            _cache.ForgetDays();
        }

        return taps;
    });

    public IReadOnlyList<string> PersonsInDebt() => [.. _cache.Persons.Where(p => p.State.InDebt).Select(p => p.State.Pid)];

    public IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now) =>
        [.. _cache.Persons.Where(p => p.State.NextCloseAt is { } at && at <= now).Select(p => p.State.Pid)];

    public string? GetMeta(string key) => _db.GetCollection(Layout.Meta).FindById(key) is { } d ? LiteDbMapping.ReadMeta(d) : null;

    public IReadOnlyDictionary<string, string> GetMetas(IReadOnlyCollection<string> keys)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in keys)
        {
            if (GetMeta(key) is { } value)
            {
                values[key] = value;
            }
        }

        return values;
    }

    public IReadOnlyList<RetainedRecord> RetainedMessages() =>
        _db.GetCollection(Layout.Retained).FindAll().Select(LiteDbMapping.ReadRetained).ToList();

    public void PutRetained(RetainedRecord message) => WriteUnit(u =>
    {
        u.PutRetained(message);
        return true;
    });

    public void Dispose()
    {
        lock (_writeLock)
        {
            _files.Dispose();
        }
    }
}
