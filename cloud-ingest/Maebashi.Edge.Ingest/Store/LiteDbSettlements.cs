using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A person's trips and postings by service day in the LiteDB store (issue 13): what an evaluation replaces is the
/// days it replays, read and written by primary key, and what a reader pages through is a backward range of days.
/// </summary>
/// <remarks>
/// <c>settlements { _id: "pid|yyyy-MM-dd", dy: "yyyy-MM-dd", b: <see cref="SettledDay"/> as JSON }</c>, one document per
/// person and service day with a trip or a posting: ids sort by person then day; <c>dy</c> is indexed for the transport
/// report of a day. Never purged: trips and postings are the wallet's history, not raw taps.
/// </remarks>
internal static class LiteDbSettlements
{
    public static string Id(string pid, DateOnly day) => pid + "|" + LiteDbMapping.Day(day);

    /// <summary>The person's documents from <paramref name="from"/> up to and including <paramref name="to"/> (null: every later day), in day order.</summary>
    public static IEnumerable<(DateOnly Day, SettledDay Settled)> Range(LiteDatabase db, string pid, DateOnly from, DateOnly? to)
    {
        foreach (BsonDocument d in db.GetCollection(Settlements).Find(LiteDbQuery.Between("_id", Id(pid, from), Id(pid, to ?? DateOnly.MaxValue))))
        {
            yield return Read(d);
        }
    }

    /// <summary>The person's documents before <paramref name="before"/>, newest first: a backward range of the primary key.</summary>
    public static IEnumerable<(DateOnly Day, SettledDay Settled)> Before(LiteDatabase db, string pid, DateOnly before) =>
        before == DateOnly.MinValue ? [] : db.GetCollection(Settlements).Query()
            .Where(LiteDbQuery.Between("_id", Id(pid, DateOnly.MinValue), Id(pid, before.AddDays(-1))))
            .OrderByDescending("_id")
            .ToEnumerable()
            .Select(Read);

    /// <summary>The person's latest <paramref name="count"/> documents, newest first.</summary>
    public static List<(DateOnly Day, SettledDay Settled)> Latest(LiteDatabase db, string pid, int count) =>
        [.. Before(db, pid, DateOnly.MaxValue).Take(count)];

    /// <summary>Every person's trips of one day (index on <c>dy</c>); the postings beside them are not read.</summary>
    public static IEnumerable<(string Pid, List<Trip> Trips)> TripsOnDay(LiteDatabase db, DateOnly day)
    {
        foreach (BsonDocument d in db.GetCollection(Settlements).Find(LiteDbQuery.EQ("dy", LiteDbMapping.Day(day))))
        {
            string id = d["_id"].AsString;
            yield return (id[..^11], StoreJson.SettledTrips(d["b"].AsBinary));
        }
    }

    /// <summary>Writes a day's document whole; <paramref name="isNew"/> when none is stored (<see cref="LiteDbDayTaps.Write"/>).</summary>
    public static void Put(LiteDatabase db, string pid, DateOnly day, SettledDay settled, bool isNew) =>
        LiteDbDayTaps.Write(db.GetCollection(Settlements), new BsonDocument { ["_id"] = Id(pid, day), ["dy"] = LiteDbMapping.Day(day), ["b"] = StoreJson.Settled(settled) }, isNew);

    public static void Delete(LiteDatabase db, string pid, DateOnly day) => db.GetCollection(Settlements).Delete(Id(pid, day));

    /// <summary>Trips and postings split by the service day each belongs to (<see cref="SettledDays.DayOf(Trip)"/>), in their order within a day.</summary>
    public static SortedDictionary<DateOnly, SettledDay> ByDay(SettledDays settled)
    {
        var days = new SortedDictionary<DateOnly, SettledDay>();
        foreach (Trip t in settled.Trips)
        {
            Day(days, SettledDays.DayOf(t)).Trips.Add(t);
        }

        foreach (Posting p in settled.Postings)
        {
            Day(days, SettledDays.DayOf(p)).Postings.Add(p);
        }

        return days;
    }

    /// <summary>Days in day order back into one run of trips and postings.</summary>
    public static SettledDays Join(IEnumerable<SettledDay> days)
    {
        var trips = new List<Trip>();
        var postings = new List<Posting>();
        foreach (SettledDay d in days)
        {
            trips.AddRange(d.Trips);
            postings.AddRange(d.Postings);
        }

        return new SettledDays(trips, postings);
    }

    private static SettledDay Day(SortedDictionary<DateOnly, SettledDay> days, DateOnly day)
    {
        if (!days.TryGetValue(day, out SettledDay? d))
        {
            days[day] = d = new SettledDay();
        }

        return d;
    }

    private static (DateOnly Day, SettledDay Settled) Read(BsonDocument d) =>
        (LiteDbDayTaps.DayOf(d["_id"].AsString), StoreJson.Settled(d["b"].AsBinary));
}
