using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using Layout = Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>The moves an older store's file gets when it is opened (docs/ingest.md, "Migrating a store").</summary>
public sealed partial class LiteDbIngestStore
{
    /// <summary>
    /// A store written before the day layout (docs/ingest.md, "Migrating a store"): its <c>units</c> move into
    /// <c>daytaps</c> and <c>seqblocks</c> a few documents at a time, each step one durable transaction that also
    /// deletes the documents it moved (an interrupted move goes on where it stopped at the next open).
    /// </summary>
    private void MoveLegacyUnits()
    {
        if (!_db.CollectionExists(Layout.LegacyUnits))
        {
            return;
        }

        ILiteCollection<BsonDocument> units = _db.GetCollection(Layout.LegacyUnits);
        while (WriteUnit(u =>
        {
            List<BsonDocument> step = [.. units.Query().OrderBy("_id").Limit(LegacyUnitsStep).ToEnumerable()];
            foreach (BsonDocument d in step)
            {
                foreach (TapRecord t in StoreJson.Taps(d["b"].AsBinary))
                {
                    u.TryAddTap(t);
                }

                units.Delete(d["_id"]);
            }

            return step.Count;
        }) > 0)
        {
        }

        _db.DropCollection(Layout.LegacyUnits);
        Durable();
    }

    /// <summary>
    /// A store written before a person's trips, postings and checkpoints moved into the person's day documents
    /// (docs/ingest.md, "Migrating a store"): each <c>settlements</c> and <c>checkpoints</c> document becomes the
    /// <c>s</c> or <c>c</c> part of its day document, a few hundred per durable step that also deletes what it moved (an
    /// interrupted move goes on where it stopped at the next open); the emptied collections are dropped.
    /// </summary>
    private void MoveLegacySettledDays()
    {
        foreach ((string legacy, string part) in new[] { (Layout.LegacySettlements, LiteDbPersonDays.Settled), (Layout.LegacyCheckpoints, LiteDbPersonDays.Checkpoint) })
        {
            if (!_db.CollectionExists(legacy))
            {
                continue;
            }

            ILiteCollection<BsonDocument> from = _db.GetCollection(legacy);
            while (WriteUnit(_ =>
            {
                List<BsonDocument> step = [.. from.Query().Limit(LegacyDaysStep).ToEnumerable()];
                foreach (BsonDocument d in step)
                {
                    // "pid|yyyy-MM-dd", the part's JSON in b.
                    string id = d["_id"].AsString;
                    byte[] value = d["b"].AsBinary;
                    LiteDbPersonDays.Patch(_db, id[..^11], LiteDbDayTaps.DayOf(id), day => day[part] = value);
                    from.Delete(d["_id"]);
                }

                return step.Count;
            }) > 0)
            {
            }

            _db.DropCollection(legacy);
            Durable();
        }
    }

    /// <summary>Records held before the quarantine was bounded move into its layout, a few at a time, each step durable.</summary>
    private void MoveLegacyQuarantine()
    {
        if (!_db.CollectionExists(Layout.LegacyQuarantine))
        {
            return;
        }

        while (WriteUnit(_ => LiteDbQuarantine.MoveLegacy(_db, LegacyQuarantineStep)) > 0)
        {
        }

        _db.DropCollection(Layout.LegacyQuarantine);
        Durable();
    }

    /// <summary>
    /// A store written before top-ups and adjustments were indexed by person and time (docs/ingest.md, "Migrating a
    /// store"): each gets its <c>pa</c> key, a few hundred per durable step (an interrupted move goes on at the next
    /// open), and the index on the person alone, which read every change of a person, is dropped.
    /// </summary>
    private void IndexValueChangesByTime()
    {
        ILiteCollection<BsonDocument> changes = _db.GetCollection(Layout.ValueChanges);
        while (WriteUnit(_ =>
        {
            // A document without the field is indexed under null: the ones still to move are a range of the new index.
            List<BsonDocument> step = [.. changes.Find(LiteDbQuery.EQ("pa", BsonValue.Null), 0, ValueChangesStep)];
            foreach (BsonDocument d in step)
            {
                (string pid, ValueChange change) = LiteDbMapping.ReadValueChange(d);
                d["pa"] = LiteDbMapping.ValueChangeOrderKey(pid, change.At);
                changes.Update(d);
            }

            return step.Count;
        }) > 0)
        {
        }

        if (changes.DropIndex("p"))
        {
            Durable();
        }
    }

    /// <summary>
    /// Each person's latest top-up or adjustment (UTC ticks), for a store whose person states were written before they
    /// kept it: one pass over <c>valuechanges</c>; the states logged or snapshotted from then on carry it.
    /// </summary>
    private Dictionary<string, long> ReadLastValueChanges()
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (BsonDocument d in _db.GetCollection(Layout.ValueChanges).FindAll())
        {
            (string pid, ValueChange change) = LiteDbMapping.ReadValueChange(d);
            last[pid] = Math.Max(last.GetValueOrDefault(pid, long.MinValue), change.At.UtcTicks);
        }

        return last;
    }

    /// <summary>Each person's archived entries in the order archived, how many documents hold them, and the documents without numbers.</summary>
    private sealed record LegacyArchive(Dictionary<string, List<WalletEntry>> Entries, Dictionary<string, int> Documents, List<(BsonValue Id, string Pid, int First)> Unnumbered);

    /// <summary>
    /// A store written before a person's state kept its archive's counts: every archived entry, read once (document
    /// ids rise in the order archived; numbered from 1). Documents written before entries were paged get their numbers.
    /// </summary>
    private LegacyArchive ReadLegacyArchive()
    {
        var archive = new LegacyArchive(new(StringComparer.Ordinal), new(StringComparer.Ordinal), []);
        foreach (IGrouping<string, BsonDocument> g in _db.GetCollection(Layout.Entries).FindAll().GroupBy(d => d["p"].AsString, StringComparer.Ordinal))
        {
            var entries = new List<WalletEntry>();
            foreach (BsonDocument d in g.OrderBy(d => d["_id"].AsObjectId))
            {
                if (!d.ContainsKey("n"))
                {
                    archive.Unnumbered.Add((d["_id"], g.Key, entries.Count + 1));
                }

                entries.AddRange(d["e"].AsArray.Select(e => LiteDbMapping.ReadEntry(g.Key, e.AsDocument)));
                archive.Documents[g.Key] = archive.Documents.GetValueOrDefault(g.Key) + 1;
            }

            archive.Entries[g.Key] = entries;
        }

        return archive;
    }

    /// <summary>
    /// A store written before the settled days kept every trip with the person's state and derived the postings from
    /// the entries (docs/ingest.md, "Migrating a store"): each such person's trips and postings move into the
    /// person's day documents by service day, a few hundred persons per durable step, then a snapshot of the states without
    /// them replaces the old snapshot and log. An interrupted move starts again at the next open (a day written twice is
    /// the same document).
    /// </summary>
    private void MoveLegacyTrips(List<StoredPerson> persons)
    {
        if (persons.Count == 0)
        {
            return;
        }

        ILiteCollection<BsonDocument> entries = _db.GetCollection(Layout.Entries);
        foreach (StoredPerson[] step in persons.Chunk(256))
        {
            WriteUnit(_ =>
            {
                foreach (StoredPerson p in step)
                {
                    IEnumerable<WalletEntry> archived = entries.Find(LiteDbQuery.EQ("p", p.Pid))
                        .OrderBy(d => d["_id"].AsObjectId)
                        .SelectMany(d => d["e"].AsArray.Select(e => LiteDbMapping.ReadEntry(p.Pid, e.AsDocument)));
                    List<Posting> postings = LiteDbMapping.PostingsFromEntries(archived.Concat(p.Entries.Select(e => LiteDbMapping.FromStored(p.Pid, e))));
                    foreach ((DateOnly day, SettledDay settled) in LiteDbSettlements.ByDay(new SettledDays(p.Trips ?? [], postings)))
                    {
                        LiteDbPersonDays.Patch(_db, p.Pid, day, d => d[LiteDbPersonDays.Settled] = StoreJson.Settled(settled));
                    }
                }

                return step.Length;
            });
        }

        WriteSnapshot();
    }

    /// <summary>A store written before entries were paged: its archive documents get their first entry's number, a few hundred per durable step.</summary>
    private void NumberArchivedEntries(List<(BsonValue Id, string Pid, int First)> unnumbered)
    {
        ILiteCollection<BsonDocument> entries = _db.GetCollection(Layout.Entries);
        foreach (var step in unnumbered.Chunk(256))
        {
            WriteUnit(_ =>
            {
                foreach ((BsonValue id, string pid, int first) in step)
                {
                    BsonDocument d = entries.FindById(id);
                    d["n"] = first;
                    d["pn"] = LiteDbMapping.EntryNumberKey(pid, first);
                    entries.Update(d);
                }

                return step.Length;
            });
        }
    }
}
