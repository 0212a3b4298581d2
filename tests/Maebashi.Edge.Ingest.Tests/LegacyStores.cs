using System.Text.Json.Nodes;
using LiteDB;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>Turns a LiteDB store written by this version into what an older version wrote, for the migration tests.</summary>
internal static class LegacyStores
{
    /// <summary>Rewrites every person state of the person log and the snapshot; <paramref name="change"/> says whether it changed one.</summary>
    public static void RewritePersons(LiteDatabase db, Func<JsonObject, bool> change)
    {
        int changed = 0;
        foreach (string collection in new[] { "personlog", "personsnap" })
        {
            ILiteCollection<BsonDocument> col = db.GetCollection(collection);
            foreach (BsonDocument d in col.FindAll().ToList())
            {
                JsonArray persons = JsonNode.Parse(d["b"].AsBinary)!.AsArray();
                foreach (JsonNode? p in persons)
                {
                    changed += change(p!.AsObject()) ? 1 : 0;
                }

                d["b"] = System.Text.Encoding.UTF8.GetBytes(persons.ToJsonString());
                col.Update(d);
            }
        }

        Assert.True(changed > 0, "no person state was rewritten");
    }

    /// <summary>
    /// The layout before a person's trips, postings and checkpoints moved into the person's day documents: each day's
    /// <c>s</c> in <c>settlements</c> and <c>c</c> in <c>checkpoints</c> (<c>_id</c> "pid|yyyy-MM-dd", the JSON in <c>b</c>,
    /// settlements with <c>dy</c>), the day documents holding taps only. Returns how many parts moved.
    /// </summary>
    public static int SplitPersonDays(LiteDatabase db)
    {
        ILiteCollection<BsonDocument> days = db.GetCollection("daytaps");
        ILiteCollection<BsonDocument> settlements = db.GetCollection("settlements");
        ILiteCollection<BsonDocument> checkpoints = db.GetCollection("checkpoints");
        int moved = 0;
        foreach (BsonDocument d in days.FindAll().ToList())
        {
            string id = d["_id"].AsString;
            if (!id.StartsWith("p|", StringComparison.Ordinal))
            {
                continue;
            }

            string legacyId = id[2..];
            if (d.TryGetValue("s", out BsonValue s))
            {
                settlements.Insert(new BsonDocument { ["_id"] = legacyId, ["dy"] = id[^10..], ["b"] = s });
                moved++;
            }

            if (d.TryGetValue("c", out BsonValue c))
            {
                checkpoints.Insert(new BsonDocument { ["_id"] = legacyId, ["b"] = c });
                moved++;
            }

            if (d.ContainsKey("b"))
            {
                d.Remove("s");
                d.Remove("c");
                days.Update(d);
            }
            else
            {
                days.Delete(d["_id"]);
            }
        }

        settlements.EnsureIndex("dy");
        return moved;
    }

    /// <summary>Removes one part (<c>s</c>: trips and postings, <c>c</c>: checkpoint) from every person's day document; returns how many had it.</summary>
    public static int RemovePersonDayPart(LiteDatabase db, string part)
    {
        ILiteCollection<BsonDocument> days = db.GetCollection("daytaps");
        int removed = 0;
        foreach (BsonDocument d in days.FindAll().ToList())
        {
            if (d.Remove(part))
            {
                removed++;
                if (d.ContainsKey("b") || d.ContainsKey("s") || d.ContainsKey("c"))
                {
                    days.Update(d);
                }
                else
                {
                    days.Delete(d["_id"]);
                }
            }
        }

        return removed;
    }
}
