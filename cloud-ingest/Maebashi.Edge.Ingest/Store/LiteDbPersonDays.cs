using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A person's day document in the LiteDB store (docs/ingest.md, "Storage"): what the person did, settled and started
/// with on one service day, in one <c>daytaps</c> document, so that a unit writes one document per person and day
/// instead of three, and a miss reads one.
/// </summary>
/// <remarks>
/// <c>daytaps { _id: "p|pid|yyyy-MM-dd", dy: "yyyy-MM-dd" (indexed, when it holds taps), b: the day's taps (<see cref="LiteDbDayTaps"/>),
/// s: the day's trips and postings (<see cref="SettledDay"/> as JSON), c: the person's state at the day's start
/// (<see cref="DayCheckpoint"/> as JSON) }</c>, each of <c>b</c>, <c>s</c> and <c>c</c> present when the day has one. The
/// retention purge removes <c>b</c> from a day that keeps <c>s</c> or <c>c</c> and moves its day from <c>dy</c> to
/// <c>dp</c>, so that the next purge does not find it again while a day's transport report still does. <c>dp</c> is an
/// array of the one day, indexed as a multi-key index (<see cref="PurgedDayIndex"/>): a document without it has no
/// entry there, where a plain index would hold a null entry for every day document (an index insert per new day).
/// </remarks>
internal static class LiteDbPersonDays
{
    public const string Taps = "b";
    public const string Settled = "s";
    public const string Checkpoint = "c";
    public const string Day = "dy";
    public const string PurgedDay = "dp";

    /// <summary>The expression of the index on <see cref="PurgedDay"/>: each element of the array, none when it is missing.</summary>
    public const string PurgedDayIndex = "$.dp[*]";

    /// <summary>Whether the document holds none of a day's parts (then it is deleted rather than kept empty).</summary>
    public static bool IsEmpty(BsonDocument d) => !d.ContainsKey(Taps) && !d.ContainsKey(Settled) && !d.ContainsKey(Checkpoint);

    /// <summary>Sets (or, with null, removes) one part of a day document.</summary>
    public static void Set(BsonDocument d, string part, byte[]? value)
    {
        if (value is null)
        {
            d.Remove(part);
        }
        else
        {
            d[part] = value;
        }
    }

    /// <summary>
    /// Indexes the document's day as what it holds: <c>dy</c> when it holds taps (what the purge and the boards at start
    /// look for, and a day's transport report), <c>dp</c> kept when its taps were purged, neither for a day without taps
    /// (an opening balance's or a top-up's day: it has no trip for the report, and nothing for the purge).
    /// </summary>
    public static void SetDay(BsonDocument d, DateOnly day)
    {
        if (d.ContainsKey(Taps))
        {
            d[Day] = LiteDbMapping.Day(day);
            d.Remove(PurgedDay);
        }
        else
        {
            d.Remove(Day);
        }
    }

    /// <summary>
    /// Changes one person's day document where it is stored (read, changed by <paramref name="change"/>, written back,
    /// or deleted when nothing is left), or creates it: what a unit does for a day whose parts are not all in memory.
    /// </summary>
    public static void Patch(LiteDatabase db, string pid, DateOnly day, Action<BsonDocument> change)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(DayTaps);
        string id = LiteDbDayTaps.PersonDay(pid, day);
        BsonDocument? stored = col.FindById(id);
        BsonDocument d = stored ?? new BsonDocument { ["_id"] = id };
        change(d);
        SetDay(d, day);
        if (IsEmpty(d))
        {
            if (stored is not null)
            {
                col.Delete(id);
            }
        }
        else if (stored is null)
        {
            col.Insert(d);
        }
        else
        {
            col.Update(d);
        }
    }

    /// <summary>The person's latest <paramref name="count"/> day documents, newest first.</summary>
    public static List<BsonDocument> Latest(LiteDatabase db, string pid, int count) =>
        [.. DownFrom(db, pid, DateOnly.MaxValue).Limit(count).ToEnumerable()];

    /// <summary>The person's stored checkpoints at or before <paramref name="day"/>, newest first.</summary>
    public static IEnumerable<DayCheckpoint> CheckpointsDownFrom(LiteDatabase db, string pid, DateOnly day)
    {
        foreach (BsonDocument d in DownFrom(db, pid, day).ToEnumerable())
        {
            if (d.TryGetValue(Checkpoint, out BsonValue c))
            {
                yield return StoreJson.Checkpoint(c.AsBinary);
            }
        }
    }

    /// <summary>The person's day documents at or before <paramref name="day"/>, newest first: a backward range of the primary key.</summary>
    private static ILiteQueryable<BsonDocument> DownFrom(LiteDatabase db, string pid, DateOnly day) =>
        db.GetCollection(DayTaps).Query()
            .Where(LiteDbQuery.Between("_id", LiteDbDayTaps.PersonDay(pid, DateOnly.MinValue), LiteDbDayTaps.PersonDay(pid, day)))
            .OrderByDescending("_id");
}
