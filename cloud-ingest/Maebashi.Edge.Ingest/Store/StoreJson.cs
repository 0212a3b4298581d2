using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>JSON for what the store keeps as text (taps as on the wire, trips and postings).</summary>
internal static class StoreJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly JsonTypeInfo<TapEvent> TapInfo = (JsonTypeInfo<TapEvent>)ContractJsonContext.Wire.GetTypeInfo(typeof(TapEvent))!;

    public static TapEvent Tap(string json) => JsonSerializer.Deserialize(json, TapInfo) ?? throw new InvalidDataException("stored tap is null");

    // Taps are stored as UTF-8 JSON bytes (no transcoding to a string and back); older stores hold strings.
    public static byte[] TapUtf8(TapEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, TapInfo);

    public static TapEvent Tap(byte[] utf8) => JsonSerializer.Deserialize(utf8, TapInfo) ?? throw new InvalidDataException("stored tap is null");

    public static string Trips(IReadOnlyList<Trip> trips) => JsonSerializer.Serialize(trips as List<Trip> ?? [.. trips], StoreJsonContext.Default.ListTrip);

    public static IReadOnlyList<Trip> Trips(string json) => JsonSerializer.Deserialize(json, StoreJsonContext.Default.ListTrip) ?? [];

    public static byte[] Persons(List<StoredPerson> persons) => JsonSerializer.SerializeToUtf8Bytes(persons, StoreJsonContext.Default.ListStoredPerson);

    public static List<StoredPerson> Persons(byte[] utf8) => JsonSerializer.Deserialize(utf8, StoreJsonContext.Default.ListStoredPerson) ?? [];
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
    [JsonPropertyName("trips")] public List<Trip> Trips { get; set; } = [];
    [JsonPropertyName("rev")] public long Revision { get; set; }

    /// <summary>Entries (postings and adjustments, in the order recorded) not yet moved to the <c>entries</c> collection.</summary>
    [JsonPropertyName("e")] public List<StoredEntry> Entries { get; set; } = [];
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
[JsonSerializable(typeof(List<Trip>))]
[JsonSerializable(typeof(List<StoredPerson>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext
{
}
