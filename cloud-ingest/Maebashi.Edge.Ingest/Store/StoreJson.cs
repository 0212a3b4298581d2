using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Maebashi.Edge.CardAuth.Jpki;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>JSON for what the store keeps as bytes: taps (events as on the wire) and person states.</summary>
internal static class StoreJson
{
    private static readonly JsonTypeInfo<TapEvent> TapInfo = (JsonTypeInfo<TapEvent>)ContractJsonContext.Wire.GetTypeInfo(typeof(TapEvent))!;

    /// <summary>
    /// Taps as one UTF-8 JSON array: <c>[{"d": device, "s": seq, "p": PID (absent for trip_end), "t": type,
    /// "v": vehicle (absent if none), "a": tap time (UTC ticks), "r": received (UTC ticks), "e": the event as
    /// on the wire (without <c>card.jpki</c>), "k": <see cref="CardReadAuth"/> and "n": SUN counter (both absent for a card without auth),
    /// "j": a My Number card's verified certificate {"i": issuer, "nb"/"na": validity (UTC ticks), "h": SHA-256 hex} (absent otherwise)}]</c>. Written with one writer for the whole array: per-tap BSON documents cost ~15 µs a tap.
    /// </summary>
    public static byte[] Taps(IReadOnlyList<TapRecord> taps)
    {
        var buffer = new ArrayBufferWriter<byte>(taps.Count * 320);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (TapRecord t in taps)
            {
                WriteTap(w, t);
            }

            w.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads what <see cref="Taps(IReadOnlyList{TapRecord})"/> wrote.</summary>
    public static List<TapRecord> Taps(byte[] utf8)
    {
        var taps = new List<TapRecord>();
        var r = new Utf8JsonReader(utf8);
        Expect(ref r, JsonTokenType.StartArray);
        while (r.Read() && r.TokenType == JsonTokenType.StartObject)
        {
            taps.Add(ReadTap(ref r));
        }

        return taps;
    }

    /// <summary>One tap as one JSON object (the elements of <see cref="Taps(IReadOnlyList{TapRecord})"/>): the PostgreSQL store keeps a tap per row.</summary>
    public static byte[] Tap(TapRecord tap)
    {
        var buffer = new ArrayBufferWriter<byte>(320);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteTap(w, tap);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads what <see cref="Tap(TapRecord)"/> wrote.</summary>
    public static TapRecord Tap(ReadOnlySpan<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8);
        Expect(ref r, JsonTokenType.StartObject);
        return ReadTap(ref r);
    }

    private static void WriteTap(Utf8JsonWriter w, TapRecord t)
    {
        w.WriteStartObject();
        w.WriteString("d", t.Device);
        w.WriteNumber("s", t.Seq);
        if (t.Pid is not null)
        {
            w.WriteString("p", t.Pid);
        }

        w.WriteString("t", t.Type);
        if (t.Vehicle is not null)
        {
            w.WriteString("v", t.Vehicle);
        }

        w.WriteNumber("a", t.At.UtcTicks);
        w.WriteNumber("r", t.ReceivedAt.UtcTicks);
        if (t.Auth != CardReadAuth.None)
        {
            w.WriteNumber("k", (int)t.Auth);
            w.WriteNumber("n", t.SunCounter);
        }

        if (t.Jpki is { } jpki)
        {
            w.WriteStartObject("j");
            w.WriteString("i", jpki.Issuer);
            w.WriteNumber("nb", jpki.NotBefore.UtcTicks);
            w.WriteNumber("na", jpki.NotAfter.UtcTicks);
            w.WriteString("h", jpki.CertificateSha256);
            w.WriteEndObject();
        }

        w.WritePropertyName("e");
        JsonSerializer.Serialize(w, t.Event, TapInfo);
        w.WriteEndObject();
    }

    /// <summary>Reads one tap object, the reader on its StartObject.</summary>
    private static TapRecord ReadTap(ref Utf8JsonReader r)
    {
        string? device = null, pid = null, type = null, vehicle = null;
        ulong seq = 0;
        long at = 0, received = 0;
        var auth = CardReadAuth.None;
        int counter = -1;
        JpkiCertificateFacts? jpki = null;
        TapEvent? e = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            switch (name)
            {
                case "d": device = r.GetString(); break;
                case "s": seq = r.GetUInt64(); break;
                case "p": pid = r.GetString(); break;
                case "t": type = r.GetString(); break;
                case "v": vehicle = r.GetString(); break;
                case "a": at = r.GetInt64(); break;
                case "r": received = r.GetInt64(); break;
                case "k": auth = (CardReadAuth)r.GetInt32(); break;
                case "n": counter = r.GetInt32(); break;
                case "j": jpki = ReadJpki(ref r); break;
                case "e": e = JsonSerializer.Deserialize(ref r, TapInfo); break;
                default: r.Skip(); break;
            }
        }

        if (device is null || type is null || e is null)
        {
            throw new InvalidDataException("a stored tap lacks its device, type or event");
        }

        return new TapRecord(device, seq, pid, type, vehicle, new DateTimeOffset(at, TimeSpan.Zero), new DateTimeOffset(received, TimeSpan.Zero), e, auth, counter, jpki);
    }

    private static JpkiCertificateFacts ReadJpki(ref Utf8JsonReader r)
    {
        string? issuer = null, hash = null;
        long notBefore = 0, notAfter = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            switch (name)
            {
                case "i": issuer = r.GetString(); break;
                case "nb": notBefore = r.GetInt64(); break;
                case "na": notAfter = r.GetInt64(); break;
                case "h": hash = r.GetString(); break;
                default: r.Skip(); break;
            }
        }

        return new JpkiCertificateFacts(issuer ?? "", new DateTimeOffset(notBefore, TimeSpan.Zero), new DateTimeOffset(notAfter, TimeSpan.Zero), hash ?? "");
    }

    private static void Expect(ref Utf8JsonReader r, JsonTokenType token, string what = "stored taps")
    {
        if (!r.Read() || r.TokenType != token)
        {
            throw new InvalidDataException($"{what}: expected {token}");
        }
    }

    public static byte[] Persons(List<StoredPerson> persons) => JsonSerializer.SerializeToUtf8Bytes(persons, StoreJsonContext.Default.ListStoredPerson);

    public static List<StoredPerson> Persons(byte[] utf8) => JsonSerializer.Deserialize(utf8, StoreJsonContext.Default.ListStoredPerson) ?? [];

    public static byte[] Checkpoint(DayCheckpoint checkpoint) => JsonSerializer.SerializeToUtf8Bytes(checkpoint, StoreJsonContext.Default.DayCheckpoint);

    public static DayCheckpoint Checkpoint(byte[] utf8) =>
        JsonSerializer.Deserialize(utf8, StoreJsonContext.Default.DayCheckpoint) ?? throw new InvalidDataException("stored checkpoint: empty");

    public static byte[] Settled(SettledDay day) => JsonSerializer.SerializeToUtf8Bytes(day, StoreJsonContext.Default.SettledDay);

    public static SettledDay Settled(byte[] utf8) =>
        JsonSerializer.Deserialize(utf8, StoreJsonContext.Default.SettledDay) ?? throw new InvalidDataException("stored settled day: empty");

    /// <summary>
    /// Only the trips of a stored <see cref="SettledDay"/>: a day's report reads every rider's document of the day, and
    /// parsing the postings it does not use was most of its time (docs/benchmarks.md, the console on a month).
    /// </summary>
    public static List<Trip> SettledTrips(byte[] utf8)
    {
        var r = new Utf8JsonReader(utf8);
        Expect(ref r, JsonTokenType.StartObject, "stored settled day");
        List<Trip>? trips = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            bool isTrips = r.ValueTextEquals("t"u8);
            r.Read();
            if (isTrips)
            {
                trips = StoredTripReader.ReadArray(ref r);
            }
            else
            {
                r.Skip();
            }
        }

        return trips ?? [];
    }

    /// <summary>One trip (the PostgreSQL store keeps a trip per row), as the person log writes its trips.</summary>
    public static byte[] Trip(Trip trip) => JsonSerializer.SerializeToUtf8Bytes(trip, StoreJsonContext.Default.Trip);

    public static Trip Trip(ReadOnlySpan<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8);
        Expect(ref r, JsonTokenType.StartObject, "stored trip");
        return StoredTripReader.Read(ref r);
    }
}

/// <summary>
/// A person's wallet as the store keeps it in the person log and the snapshots: the state after the last
/// evaluation and the entries not yet archived. Short names: hundreds of thousands are written per snapshot.
/// </summary>
internal sealed class StoredPerson
{
    [JsonPropertyName("pid")] public string Pid { get; set; } = "";
    [JsonPropertyName("v")] public long Value { get; set; }
    [JsonPropertyName("pt")] public long Points { get; set; }
    [JsonPropertyName("pb")] public long PointsBus { get; set; }
    [JsonPropertyName("pv")] public long PointsVolunteer { get; set; }
    [JsonPropertyName("ph")] public long PointsHealth { get; set; }
    [JsonPropertyName("debt")] public bool InDebt { get; set; }

    /// <summary>UTC ticks of the next time the clock alone changes the wallet, or null.</summary>
    [JsonPropertyName("nc")] public long? NextCloseAt { get; set; }
    /// <summary>
    /// Stores written before the settled days (<see cref="LiteDbSettlements"/>) kept the person's trips with the state:
    /// read once, when opening such a store moves them into settled days. Null in a state written since.
    /// </summary>
    [JsonPropertyName("trips")] public List<Trip>? Trips { get; set; }

    /// <summary>
    /// In such a store's person log: UTC ticks from which <see cref="Trips"/> replaces the trips of the person's previous
    /// state. Null: <see cref="Trips"/> is every trip.
    /// </summary>
    [JsonPropertyName("tf")] public long? TripsFrom { get; set; }

    /// <summary>
    /// How many <c>entries</c> documents hold the person's archived entries, and how many entries they hold, so that
    /// opening the store reads no archive. Null: a state written before they were kept (the archive is counted on open).
    /// </summary>
    [JsonPropertyName("ad")] public int? ArchivedDocuments { get; set; }
    [JsonPropertyName("ae")] public int? ArchivedEntries { get; set; }

    /// <summary>The person's latest day checkpoints (at most <see cref="LiteDbLayout.CheckpointsInMemory"/>), so a restart finds them in memory.</summary>
    [JsonPropertyName("cp")] public List<DayCheckpoint>? Checkpoints { get; set; }
    [JsonPropertyName("rev")] public long Revision { get; set; }

    /// <summary>
    /// At most how many check-ins and participations of the person are stored (a replay that replaces none skips the
    /// delete); kept with the state so that opening the store counts nothing. Null: a state written before they were.
    /// </summary>
    [JsonPropertyName("ci")] public int? CheckIns { get; set; }
    [JsonPropertyName("pa")] public int? Participations { get; set; }

    /// <summary>
    /// UTC ticks of the person's latest stored top-up or adjustment (<see cref="long.MinValue"/>: none). Null: a state
    /// written before it was kept (found once from <c>valuechanges</c> when the store opens).
    /// </summary>
    [JsonPropertyName("vc")] public long? LastValueChange { get; set; }

    /// <summary>Entries (postings and adjustments, in the order recorded) not yet moved to the <c>entries</c> collection.</summary>
    [JsonPropertyName("e")] public List<StoredEntry> Entries { get; set; } = [];
}

/// <summary>A person's trips and postings of one service day, in the order the rules gave (<see cref="LiteDbSettlements"/>).</summary>
internal sealed class SettledDay
{
    [JsonPropertyName("t")] public List<Trip> Trips { get; set; } = [];
    [JsonPropertyName("p")] public List<Posting> Postings { get; set; } = [];

    /// <summary>Whether both hold the same trips and postings in the same order (a day an evaluation left as it was is not rewritten).</summary>
    public static bool Same(SettledDay? a, SettledDay? b) =>
        a is null || b is null ? a is null && b is null : a.Trips.SequenceEqual(b.Trips) && a.Postings.SequenceEqual(b.Postings);
}

/// <summary>One wallet entry; times as UTC ticks.</summary>
internal sealed class StoredEntry
{
    [JsonPropertyName("k")] public string Key { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("v")] public long Value { get; set; }
    [JsonPropertyName("p")] public long Points { get; set; }
    [JsonPropertyName("src")] public string Source { get; set; } = "";
    [JsonPropertyName("at")] public long At { get; set; }
    [JsonPropertyName("rec")] public long RecordedAt { get; set; }
    [JsonPropertyName("d")] public string Description { get; set; } = "";
    [JsonPropertyName("adj")] public bool Adjustment { get; set; }
}

/// <summary>Source-generated (de)serialisation of what the store keeps as JSON: it runs once per person per batch.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<StoredPerson>))]
[JsonSerializable(typeof(DayCheckpoint))]
[JsonSerializable(typeof(SettledDay))]
[JsonSerializable(typeof(Trip))]
internal sealed partial class StoreJsonContext : JsonSerializerContext
{
}
