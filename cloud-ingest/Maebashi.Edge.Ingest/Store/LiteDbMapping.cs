using System.Globalization;
using LiteDB;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>The store's model as LiteDB documents and stored JSON, and back.</summary>
internal static class LiteDbMapping
{
    /// <param name="checkpoints">The person's latest checkpoints held in memory, if any.</param>
    public static StoredPerson ToStored(CachedPerson p, IReadOnlyList<DayCheckpoint>? checkpoints) => new()
    {
        CheckIns = p.CheckIns,
        Participations = p.Participations,
        Pid = p.State.Pid,
        Value = p.State.Value,
        Points = p.State.Points,
        PointsBus = p.State.PointsBus,
        PointsVolunteer = p.State.PointsVolunteer,
        PointsHealth = p.State.PointsHealth,
        InDebt = p.State.InDebt,
        NextCloseAt = p.State.NextCloseAt?.UtcTicks,
        Checkpoints = checkpoints is null ? null : [.. checkpoints],
        Revision = p.State.Revision,
        ArchivedDocuments = p.ArchivedDocuments,
        ArchivedEntries = p.ArchivedEntries,
        Entries = p.RecentEntries.Stored(),
        LastValueChange = p.LastValueChange,
    };

    public static StoredEntry ToStoredEntry(WalletEntry e) => new()
    {
        Key = e.Key,
        Kind = e.Kind,
        Value = e.Value,
        Points = e.Points,
        Source = e.Source,
        At = e.At.UtcTicks,
        RecordedAt = e.RecordedAt.UtcTicks,
        Description = e.Description,
        Adjustment = e.Adjustment,
    };

    /// <summary>When a trip is dated: its board, or its alight when it has no board (as the rules' service day).</summary>
    public static long TripTicks(Trip t) => (t.BoardAt ?? t.AlightAt)?.UtcTicks ?? long.MinValue;

    /// <summary>
    /// A logged state on top of the one before it. A log written before the settled days may carry trips: one with
    /// <see cref="StoredPerson.TripsFrom"/> replaces only the trips from then on.
    /// </summary>
    public static StoredPerson Over(StoredPerson? before, StoredPerson logged)
    {
        if (before is null)
        {
            return logged;
        }

        // None held when it was logged: none were written since, so the earlier ones are still the latest.
        logged.Checkpoints ??= before.Checkpoints;
        if (logged.Trips is null)
        {
            logged.Trips = before.Trips;
            return logged;
        }

        if (logged.TripsFrom is not { } from)
        {
            return logged;
        }

        logged.Trips = [.. (before.Trips ?? []).Where(t => TripTicks(t) < from), .. logged.Trips];
        logged.TripsFrom = null;
        return logged;
    }

    public static PersonState FromStored(StoredPerson p) => new(
        p.Pid, p.Value, p.Points, p.PointsBus, p.PointsVolunteer, p.PointsHealth, p.InDebt,
        p.NextCloseAt is { } nc ? new DateTimeOffset(nc, TimeSpan.Zero) : null, p.Revision);

    /// <remarks>Kinds and sources are a few values repeated in every person's entries held in memory: interned, one copy each.</remarks>
    public static WalletEntry FromStored(string pid, StoredEntry e) => new(
        pid, e.Key, string.Intern(e.Kind), e.Value, e.Points, string.Intern(e.Source), new DateTimeOffset(e.At, TimeSpan.Zero), new DateTimeOffset(e.RecordedAt, TimeSpan.Zero), e.Description, e.Adjustment);

    /// <summary>The postings an evaluation is diffed against: the entries summed by key (entries are the diffs).</summary>
    public static List<Posting> PostingsFromEntries(IEnumerable<WalletEntry> entries) =>
        [.. entries.GroupBy(e => e.Key, StringComparer.Ordinal)
            .Select(g => new Posting(g.Key, g.First().Kind, g.Sum(e => e.Value), g.Sum(e => e.Points), g.First().Source, g.First().At, g.First().Description))
            .Where(p => p.Value != 0 || p.Points != 0)];

    public static BsonDocument EntryDocument(WalletEntry e) => new()
    {
        ["key"] = e.Key,
        ["kind"] = e.Kind,
        ["value"] = e.Value,
        ["points"] = e.Points,
        ["src"] = e.Source,
        ["at"] = e.At.UtcTicks,
        ["rec"] = e.RecordedAt.UtcTicks,
        ["desc"] = e.Description,
        ["adj"] = e.Adjustment,
    };

    /// <summary>
    /// An <c>entries</c> document: the person's entries numbered <paramref name="first"/> on (<c>n</c>), and
    /// <c>pn</c> = "pid|n" (n as ten digits, indexed), so the document a page of entries falls in is a range read.
    /// </summary>
    public static BsonDocument ArchiveDocument(string pid, int first, IEnumerable<WalletEntry> entries) => new()
    {
        ["p"] = pid,
        ["n"] = first,
        ["pn"] = EntryNumberKey(pid, first),
        ["e"] = new BsonArray(entries.Select(e => (BsonValue)EntryDocument(e))),
    };

    public static string EntryNumberKey(string pid, long number) => pid + "|" + number.ToString("D10", CultureInfo.InvariantCulture);

    public static WalletEntry ReadEntry(string pid, BsonDocument d) => new(
        pid, d["key"].AsString, d["kind"].AsString, d["value"].AsInt64, d["points"].AsInt64, d["src"].AsString,
        Ticks(d["at"]), Ticks(d["rec"]), d["desc"].AsString, d["adj"].AsBoolean);

    /// <summary>Check-ins are found by clinic and day (<c>cd</c>) and replaced by person (<c>p</c>).</summary>
    public static BsonDocument CheckInDocument(CheckInRecord c) => new()
    {
        ["_id"] = c.Pid + "|" + c.Clinic + "|" + Day(c.Date),
        ["p"] = c.Pid,
        ["c"] = c.Clinic,
        ["dt"] = Day(c.Date),
        ["cd"] = ClinicDay(c.Clinic, c.Date),
        ["no"] = c.PatientNo,
        ["q"] = c.Queue,
        ["child"] = c.ChildMedicalSubsidy,
        ["at"] = c.At.UtcTicks,
        ["mn"] = c.MyNumber,
    };

    public static string ClinicDay(string clinic, DateOnly date) => clinic + "|" + Day(date);

    public static CheckInRecord ReadCheckIn(BsonDocument d) => new(
        d["p"].AsString, d["c"].AsString, DateOnly.ParseExact(d["dt"].AsString, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        d["no"].AsString, d["q"].AsInt32, d["child"].AsBoolean, Ticks(d["at"]), d.TryGetValue("mn", out BsonValue myNumber) && myNumber.AsBoolean);

    public static BsonDocument ParticipationDocument(ParticipationRecord p) => new()
    {
        ["_id"] = p.Pid + "|" + p.Event,
        ["p"] = p.Pid,
        ["ev"] = p.Event,
        ["sec"] = p.Sector,
        ["sid"] = p.SectorId,
        ["in"] = p.In.UtcTicks,
        ["out"] = OptTicks(p.Out),
        ["pts"] = p.Points,
    };

    public static ParticipationRecord ReadParticipation(BsonDocument d) => new(
        d["p"].AsString, d["ev"].AsString, d["sec"].AsString, d["sid"].AsString, Ticks(d["in"]), ReadOptTicks(d["out"]), d["pts"].AsInt64);

    public static BsonDocument DeviceDocument(DeviceProgress p) => new()
    {
        ["_id"] = p.Device,
        ["upTo"] = unchecked((long)p.UpTo),
        ["seen"] = p.LastSeen.UtcTicks,
        ["n"] = p.EventsApplied,
    };

    public static DeviceProgress ReadDevice(BsonDocument d) => new(d["_id"].AsString, unchecked((ulong)d["upTo"].AsInt64), Ticks(d["seen"]), d["n"].AsInt64);

    public static BsonDocument ValueChangeDocument(string pid, ValueChange t) => new()
    {
        ["_id"] = t.Key, ["id"] = t.Id, ["kind"] = (int)t.Kind, ["p"] = pid, ["amount"] = t.Amount, ["at"] = t.At.UtcTicks,
        ["pa"] = ValueChangeOrderKey(pid, t.At), ["reason"] = t.Reason, ["note"] = t.Note,
    };

    /// <summary>
    /// A top-up's or adjustment's place in the index on <c>pa</c>: by person, then time (fixed-width ticks sort as
    /// text), so the changes of a person from an instant on are one range of it.
    /// </summary>
    public static string ValueChangeOrderKey(string pid, DateTimeOffset at) =>
        pid + "|" + at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The last key of a person's range of <see cref="ValueChangeOrderKey"/> (above every time's).</summary>
    public static string ValueChangeOrderEnd(string pid) => pid + "|~";

    public static (string Pid, ValueChange Change) ReadValueChange(BsonDocument d) => (d["p"].AsString, new ValueChange(
        d["id"].AsString, d["amount"].AsInt64, Ticks(d["at"]), (ValueChangeKind)d["kind"].AsInt32,
        d["reason"].IsNull ? null : d["reason"].AsString, d["note"].IsNull ? null : d["note"].AsString));

    public static BsonDocument MetaDocument(string key, string value) => new() { ["_id"] = key, ["v"] = value };

    public static string ReadMeta(BsonDocument d) => d["v"].AsString;

    public static BsonDocument RetainedDocument(RetainedRecord r) => new() { ["_id"] = r.Topic, ["b"] = r.Payload };

    public static RetainedRecord ReadRetained(BsonDocument d) => new(d["_id"].AsString, d["b"].AsBinary);

    public static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset Ticks(BsonValue v) => new(v.AsInt64, TimeSpan.Zero);

    private static BsonValue OptTicks(DateTimeOffset? at) => at is { } a ? new BsonValue(a.UtcTicks) : BsonValue.Null;

    private static DateTimeOffset? ReadOptTicks(BsonValue v) => v.IsNull ? null : Ticks(v);
}
