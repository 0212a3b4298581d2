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

    public static string Tap(TapEvent e) => JsonSerializer.Serialize(e, TapInfo);

    public static TapEvent Tap(string json) => JsonSerializer.Deserialize(json, TapInfo) ?? throw new InvalidDataException("stored tap is null");

    public static string Trips(IReadOnlyList<Trip> trips) => JsonSerializer.Serialize(trips, Options);

    public static IReadOnlyList<Trip> Trips(string json) => JsonSerializer.Deserialize<List<Trip>>(json, Options) ?? [];

    public static string Postings(IReadOnlyList<Posting> postings) => JsonSerializer.Serialize(postings, Options);

    public static IReadOnlyList<Posting> Postings(string json) => JsonSerializer.Deserialize<List<Posting>>(json, Options) ?? [];
}
