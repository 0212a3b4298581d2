using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A person's trips and postings by service day in the LiteDB store (issue 13): the <c>s</c> part of the person's day
/// documents (<see cref="LiteDbPersonDays"/>). What an evaluation replaces is the days it replays, read by primary key,
/// and what a reader pages through is a backward range of days. Never purged: trips and postings are the wallet's
/// history, not raw taps.
/// </summary>
internal static class LiteDbSettlements
{
    /// <summary>The person's settled days from <paramref name="from"/> up to and including <paramref name="to"/> (null: every later day), in day order.</summary>
    public static IEnumerable<(DateOnly Day, SettledDay Settled)> Range(LiteDatabase db, string pid, DateOnly from, DateOnly? to)
    {
        foreach (BsonDocument d in db.GetCollection(DayTaps).Find(LiteDbQuery.Between("_id", LiteDbDayTaps.PersonDay(pid, from), LiteDbDayTaps.PersonDay(pid, to ?? DateOnly.MaxValue))))
        {
            if (Read(d) is { } day)
            {
                yield return day;
            }
        }
    }

    /// <summary>The person's settled days before <paramref name="before"/>, newest first: a backward range of the primary key.</summary>
    public static IEnumerable<(DateOnly Day, SettledDay Settled)> Before(LiteDatabase db, string pid, DateOnly before) =>
        before == DateOnly.MinValue ? [] : db.GetCollection(DayTaps).Query()
            .Where(LiteDbQuery.Between("_id", LiteDbDayTaps.PersonDay(pid, DateOnly.MinValue), LiteDbDayTaps.PersonDay(pid, before.AddDays(-1))))
            .OrderByDescending("_id")
            .ToEnumerable()
            .Select(Read)
            .OfType<(DateOnly Day, SettledDay Settled)>();

    /// <summary>The person's latest <paramref name="count"/> settled days, newest first.</summary>
    public static List<(DateOnly Day, SettledDay Settled)> Latest(LiteDatabase db, string pid, int count) =>
        [.. Before(db, pid, DateOnly.MaxValue).Take(count)];

    /// <summary>
    /// Every person's trips of one day (index on <c>dy</c>, and on <c>dp</c> for a day whose taps were purged); the
    /// postings beside them are not read.
    /// </summary>
    public static IEnumerable<(string Pid, List<Trip> Trips)> TripsOnDay(LiteDatabase db, DateOnly day)
    {
        ILiteCollection<BsonDocument> days = db.GetCollection(DayTaps);
        string dy = LiteDbMapping.Day(day);
        foreach (BsonDocument d in days.Find(LiteDbQuery.EQ(LiteDbPersonDays.Day, dy)).Concat(days.Find(LiteDbQuery.AnyEQ(LiteDbPersonDays.PurgedDay, dy))))
        {
            string id = d["_id"].AsString;
            if (id.StartsWith("p|", StringComparison.Ordinal) && d.TryGetValue(LiteDbPersonDays.Settled, out BsonValue s))
            {
                yield return (id[2..^11], StoreJson.SettledTrips(s.AsBinary));
            }
        }
    }

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

    private static (DateOnly Day, SettledDay Settled)? Read(BsonDocument d) =>
        d.TryGetValue(LiteDbPersonDays.Settled, out BsonValue s) ? (LiteDbDayTaps.DayOf(d["_id"].AsString), StoreJson.Settled(s.AsBinary)) : null;
}
