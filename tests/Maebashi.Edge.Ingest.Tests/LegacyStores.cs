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
}
