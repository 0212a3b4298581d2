using System.Globalization;
using LiteDB;
using Layout = Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The person snapshot and log (docs/ingest.md, "Storage"): every person's state as of the last snapshot, then the
/// states each unit logged since, read at open; a new snapshot written a few thousand persons per transaction.
/// </summary>
/// <remarks>
/// A snapshot was one transaction holding every person (and deleting the old snapshot and the whole log). LiteDB keeps
/// a transaction's pages in memory until it commits and never gives back the memory its page cache grew to, so that
/// transaction's memory grew with the population (at city scale, 281,755 persons, it added little: docs/benchmarks.md,
/// session 14; a prefecture's population in one LiteDB file would add hundreds of megabytes). Now the new
/// snapshot's documents are written under a new generation of ids, each step its own durable transaction and invisible
/// until a last small transaction names that generation and the first log document it does not cover
/// (<see cref="SnapshotGenerationKey"/>, <see cref="LogFromKey"/>); then the old generation and the covered log are
/// deleted a step at a time. A crash at any point leaves the named generation and the log after it: nothing is lost,
/// and what was left over is deleted at the next open.
/// </remarks>
public sealed partial class LiteDbIngestStore
{
    /// <summary>The generation of <c>personsnap</c> documents that is the snapshot (absent: 0, a store written before generations).</summary>
    public const string SnapshotGenerationKey = "store.personsnap.generation";

    /// <summary>The first <c>personlog</c> document the snapshot does not cover (absent: 0, every one).</summary>
    public const string LogFromKey = "store.personlog.from";

    /// <summary>Snapshot documents of generation g have the ids g·2^40 + 1, 2, …: each generation is one range of the key.</summary>
    private const int GenerationShift = 40;

    /// <summary>Documents of 64 persons written or deleted per transaction (~4,096 persons, a few MB of pages).</summary>
    private const int SnapshotDocumentsPerStep = 64;

    // The generation named on disk, and the highest one written: a generation whose naming failed may still be named
    // on disk (committed, fsync failed), so its number is never written again by this process.
    private long _snapshotGeneration;
    private long _lastGeneration;

    /// <summary>Writes the person snapshot now rather than when due; returns how many persons it holds.</summary>
    public int WriteSnapshot()
    {
        lock (_writeLock)
        {
            SnapshotUnderLock();
            return _cache.PersonCount;
        }
    }

    private static long FirstId(long generation) => (generation << GenerationShift) + 1;

    /// <summary>
    /// Writes every person's state as a new snapshot generation, step by step, then names it; its cost (about a second
    /// per 300,000 persons) is spread over at least as many logged person states.
    /// </summary>
    private void SnapshotUnderLock()
    {
        long generation = ++_lastGeneration;
        long logFrom = _nextPersonLogDoc;
        ILiteCollection<BsonDocument> snapshot = _db.GetCollection(Layout.PersonSnapshot);
        try
        {
            long id = FirstId(generation);
            foreach (CachedPerson[][] step in _cache.Persons.Chunk(Layout.PersonsPerDocument).Chunk(SnapshotDocumentsPerStep))
            {
                DurableStep(() =>
                {
                    foreach (CachedPerson[] part in step)
                    {
                        snapshot.Insert(new BsonDocument { ["_id"] = id++, ["b"] = StoreJson.Persons([.. part.Select(p => LiteDbMapping.ToStored(p, _cache.RecentCheckpoints(p.State.Pid)))]) });
                    }
                });
            }

            DurableStep(() =>
            {
                ILiteCollection<BsonDocument> meta = _db.GetCollection(Layout.Meta);
                meta.Upsert(LiteDbMapping.MetaDocument(SnapshotGenerationKey, generation.ToString(CultureInfo.InvariantCulture)));
                meta.Upsert(LiteDbMapping.MetaDocument(LogFromKey, logFrom.ToString(CultureInfo.InvariantCulture)));
            });
        }
        catch (Exception e) when (e is IOException or LiteException)
        {
            // The generation was not named (or not known to be on disk): the store still holds the old snapshot and
            // every state logged after it. Try again later.
            _personsLogged /= 2;
            return;
        }

        _snapshotGeneration = generation;
        _personsLogged = 0;
        DeleteCovered(logFrom);
    }

    /// <summary>
    /// The person states as of the named snapshot generation, then the log after it in commit order (primary key
    /// order): the latest state of a person wins. Documents of other generations and the covered log are deleted.
    /// </summary>
    private Dictionary<string, StoredPerson> ReadPersonStates()
    {
        _snapshotGeneration = _lastGeneration = MetaNumber(SnapshotGenerationKey);
        long logFrom = MetaNumber(LogFromKey);
        var latest = new Dictionary<string, StoredPerson>(StringComparer.Ordinal);
        foreach (BsonDocument d in LiteDbQuery.InKeyRange(_db.GetCollection(Layout.PersonSnapshot), FirstId(_snapshotGeneration), FirstId(_snapshotGeneration + 1) - 1))
        {
            foreach (StoredPerson p in StoreJson.Persons(d["b"].AsBinary))
            {
                latest[p.Pid] = p;
            }
        }

        _nextPersonLogDoc = Math.Max(1, logFrom);
        foreach (BsonDocument d in LiteDbQuery.InKeyRange(_db.GetCollection(Layout.PersonLog), logFrom, long.MaxValue))
        {
            List<StoredPerson> logged = StoreJson.Persons(d["b"].AsBinary);
            foreach (StoredPerson p in logged)
            {
                latest[p.Pid] = LiteDbMapping.Over(latest.GetValueOrDefault(p.Pid), p);
            }

            _personsLogged += logged.Count;
            _nextPersonLogDoc = Math.Max(_nextPersonLogDoc, d["_id"].AsInt64 + 1);
        }

        DeleteInSteps(Layout.PersonSnapshot, FirstId(_snapshotGeneration + 1), long.MaxValue);
        DeleteCovered(logFrom);
        return latest;
    }

    /// <summary>The snapshot generations before the current one (those of failed attempts too) and the log documents before <paramref name="logFrom"/>.</summary>
    private void DeleteCovered(long logFrom)
    {
        try
        {
            DeleteInSteps(Layout.PersonSnapshot, long.MinValue, _snapshotGeneration << GenerationShift);
            DeleteInSteps(Layout.PersonLog, long.MinValue, logFrom - 1);
        }
        catch (Exception e) when (e is IOException or LiteException)
        {
            // Not in the snapshot's way: they are read past at the next open, and deleted then.
        }
    }

    /// <summary>Deletes the documents with <c>from ≤ _id ≤ to</c>, <see cref="SnapshotDocumentsPerStep"/> ids per durable transaction.</summary>
    private void DeleteInSteps(string collection, long from, long to)
    {
        ILiteCollection<BsonDocument> col = _db.GetCollection(collection);
        while (col.Find(LiteDbQuery.Between("_id", from, to), 0, 1).FirstOrDefault() is { } first)
        {
            long low = first["_id"].AsInt64;
            long high = to - low < SnapshotDocumentsPerStep ? to : low + SnapshotDocumentsPerStep - 1;
            DurableStep(() => col.DeleteMany(LiteDbQuery.Between("_id", low, high)));
            if (high == to)
            {
                return;
            }

            from = high + 1;
        }
    }

    private long MetaNumber(string key) =>
        _db.GetCollection(Layout.Meta).FindById(key) is { } d ? long.Parse(LiteDbMapping.ReadMeta(d), CultureInfo.InvariantCulture) : 0;
}
