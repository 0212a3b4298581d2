using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The taps of the LiteDB store, bounded by time (docs/ingest.md, "Storage"; issue 13): one <c>daytaps</c> document per
/// person (or vehicle) and service day (a person's also holding the day's trips, postings and checkpoint:
/// <see cref="LiteDbPersonDays"/>), and the de-duplication record as bitmaps of <c>seqblocks</c>, each read by its
/// primary key. Nothing here is held in memory; <see cref="LiteDbWriteCache"/> keeps a bounded working set in front.
/// </summary>
/// <remarks>
/// <c>daytaps { _id: "p|pid|yyyy-MM-dd" (a person's taps) | "v|vehicle|yyyy-MM-dd" (a vehicle's facts without a
/// person: trip_end) | "d|device|yyyy-MM-dd" (any other), dy: "yyyy-MM-dd", b: the taps as <see cref="StoreJson.Taps(IReadOnlyList{TapRecord})"/>,
/// in time order }</c>: the ids sort by subject then day, so the days an evaluation replays are one range read of the
/// primary key; <c>dy</c> is indexed for the retention purge and for the boards of the last day read at start.
/// <c>seqblocks { _id: "device|n", b: <see cref="SeqBlockBytes"/> bytes, bit (seq mod <see cref="SeqsPerBlock"/>) set
/// when the tap (device, seq) with seq / <see cref="SeqsPerBlock"/> = n is stored }</c>: a device's taps of a few days
/// are one document, so a duplicate is found by one lookup, however old; blocks are never purged.
/// </remarks>
internal static class LiteDbDayTaps
{
    /// <summary>The day document a tap belongs to: its person's, else its vehicle's, else its device's, of its service day.</summary>
    public static string DocumentOf(TapRecord t) => t.Pid is { } pid ? PersonDay(pid, WalletRules.ServiceDay(t.At))
        : t.Vehicle is { } vehicle ? Key("v|", vehicle, WalletRules.ServiceDay(t.At))
        : Key("d|", t.Device, WalletRules.ServiceDay(t.At));

    /// <summary>The service day of an instant, the edges of time (an open-ended read) mapped to the first and the last day.</summary>
    public static DateOnly ServiceDayOf(DateTimeOffset at) => SettledDays.ServiceDayOf(at);

    public static string PersonDay(string pid, DateOnly day) => Key("p|", pid, day);

    public static string VehicleDay(string vehicle, DateOnly day) => Key("v|", vehicle, day);

    private static string Key(string kind, string subject, DateOnly day) => kind + subject + "|" + LiteDbMapping.Day(day);

    /// <summary>The service day of a day document's id (its last ten characters).</summary>
    public static DateOnly DayOf(string id) => DateOnly.ParseExact(id.AsSpan(id.Length - 10), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The stored taps of one day document (empty when there is none).</summary>
    public static List<TapRecord> Read(LiteDatabase db, string id) =>
        db.GetCollection(DayTaps).FindById(id) is { } d ? TapsIn(d) : [];

    /// <summary>The taps of a day document (a person's day may hold none: only its trips and postings or its checkpoint).</summary>
    public static List<TapRecord> TapsIn(BsonDocument d) =>
        d.TryGetValue(LiteDbPersonDays.Taps, out BsonValue b) ? StoreJson.Taps(b.AsBinary) : [];

    /// <summary>
    /// The day documents of one person (<paramref name="vehicle"/> false) or vehicle from <paramref name="from"/> up to and
    /// including <paramref name="to"/> (null: every later day), in day order: a range of the primary key (bounded by a
    /// day, not by a character: LiteDB compares ids by culture, where a symbol sorts before a digit).
    /// </summary>
    public static IEnumerable<(DateOnly Day, List<TapRecord> Taps)> Range(LiteDatabase db, string subject, bool vehicle, DateOnly from, DateOnly? to)
    {
        string kind = vehicle ? "v|" : "p|";
        string low = Key(kind, subject, from);
        string high = Key(kind, subject, to ?? DateOnly.MaxValue);
        foreach (BsonDocument d in db.GetCollection(DayTaps).Find(LiteDbQuery.Between("_id", low, high)))
        {
            yield return (DayOf(d["_id"].AsString), TapsIn(d));
        }
    }

    /// <summary>Whether the id is a person's day document with no later day of the person stored (what the retention keeps).</summary>
    public static bool IsLatestPersonDay(LiteDatabase db, string id)
    {
        if (!id.StartsWith("p|", StringComparison.Ordinal))
        {
            return false;
        }

        string person = id[..^10];
        return !db.GetCollection(DayTaps).Exists(LiteDbQuery.AboveUpTo("_id", id, person + LiteDbMapping.Day(DateOnly.MaxValue)));
    }

    /// <summary>
    /// Writes a vehicle's or device's day document whole (its taps in time order); <paramref name="isNew"/> when no
    /// document of that id is stored (see <see cref="Write"/>). A person's day goes through <see cref="PersonDayChanges"/>.
    /// </summary>
    public static void Put(LiteDatabase db, string id, IReadOnlyList<TapRecord> taps, bool isNew) =>
        Write(db.GetCollection(DayTaps), new BsonDocument { ["_id"] = id, ["dy"] = id[^10..], ["b"] = StoreJson.Taps(taps) }, isNew);

    /// <summary>
    /// Inserts a document known to be new, else upserts it. LiteDB's upsert looks for the id first and, not finding it,
    /// walks the index again to insert: a unit writes a document per person and day, most of them new, so the caller's
    /// knowledge halves the index walks. A wrong <paramref name="isNew"/> fails the unit on the duplicate id; it never
    /// loses a write.
    /// </summary>
    public static void Write(ILiteCollection<BsonDocument> col, BsonDocument doc, bool isNew)
    {
        if (isNew)
        {
            col.Insert(doc);
        }
        else
        {
            col.Upsert(doc);
        }
    }

    /// <summary>
    /// <paramref name="stored"/> with <paramref name="added"/> put where they belong in time order (a new list): taps
    /// mostly arrive in time order (an append); a late one goes after the taps of the same instant already stored.
    /// </summary>
    public static List<TapRecord> Merge(IReadOnlyList<TapRecord> stored, IEnumerable<TapRecord> added)
    {
        var list = new List<TapRecord>(stored.Count + 4);
        list.AddRange(stored);
        foreach (TapRecord t in added)
        {
            long ticks = t.At.UtcTicks;
            if (list.Count == 0 || list[^1].At.UtcTicks <= ticks)
            {
                list.Add(t);
                continue;
            }

            int lo = 0, hi = list.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (list[mid].At.UtcTicks <= ticks)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            list.Insert(lo, t);
        }

        return list;
    }

    /// <summary>Seqs per de-duplication block: a device's taps of days at a few thousand a day.</summary>
    public const int SeqsPerBlock = 4096;

    public const int SeqBlockBytes = SeqsPerBlock / 8;

    public static string SeqBlock(string device, ulong seq) => device + "|" + (seq / SeqsPerBlock).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool Has(byte[] block, ulong seq) => (block[(int)(seq % SeqsPerBlock) >> 3] & (1 << (int)(seq % 8))) != 0;

    public static void Set(byte[] block, ulong seq) => block[(int)(seq % SeqsPerBlock) >> 3] |= (byte)(1 << (int)(seq % 8));

    /// <summary>The stored block (a new array), or an empty one.</summary>
    public static byte[] ReadBlock(LiteDatabase db, string id) =>
        db.GetCollection(SeqBlocks).FindById(id) is { } d ? [.. d["b"].AsBinary] : new byte[SeqBlockBytes];

    /// <summary>Writes a block; <paramref name="isNew"/> when none of that id is stored (a stored block has a bit set).</summary>
    public static void PutBlock(LiteDatabase db, string id, byte[] block, bool isNew) =>
        Write(db.GetCollection(SeqBlocks), new BsonDocument { ["_id"] = id, ["b"] = block }, isNew);

    /// <summary>Whether no seq of the block is stored.</summary>
    public static bool IsEmpty(byte[] block) => !block.AsSpan().ContainsAnyExcept((byte)0);

    /// <summary>Whether the tap is a board on a vehicle (what a trip_end of the vehicle looks for).</summary>
    public static bool IsBoard(TapRecord t) => t.Pid is not null && t.Type == EventTypes.Board && t.Vehicle is not null;
}
