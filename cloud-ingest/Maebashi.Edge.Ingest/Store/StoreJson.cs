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
}

/// <summary>Source-generated (de)serialisation of what the store keeps as JSON: it runs once per person per batch.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<Trip>))]
internal sealed partial class StoreJsonContext : JsonSerializerContext
{
}
