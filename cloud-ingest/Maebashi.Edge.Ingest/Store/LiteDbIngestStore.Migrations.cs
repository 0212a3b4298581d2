using LiteDB;
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
