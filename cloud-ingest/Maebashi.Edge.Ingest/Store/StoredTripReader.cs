using System.Text.Json;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// Reads trips as <see cref="StoreJsonContext"/> writes them (camelCase names, the close as its name, absent nulls),
/// without the serializer: a day's transport report and its exports read every rider's trips of the day, and the
/// serializer's path for a 17-parameter record was most of that time (docs/benchmarks.md). Unknown names are skipped:
/// a field added to <see cref="Trip"/> needs its case here. The store conformance tests compare a day's trips read by it
/// with the same trips read by the serializer (a rider's wallet trips on LiteDB).
/// </summary>
internal static class StoredTripReader
{
    /// <summary>An array of trips, the reader on its StartArray.</summary>
    public static List<Trip> ReadArray(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("stored trips: expected an array");
        }

        var trips = new List<Trip>(2);
        while (r.Read() && r.TokenType == JsonTokenType.StartObject)
        {
            trips.Add(Read(ref r));
        }

        return trips;
    }

    /// <summary>One trip, the reader on its StartObject.</summary>
    public static Trip Read(ref Utf8JsonReader r)
    {
        string? route = null, vehicle = null, boardStop = null, alightStop = null, category = null, serviceDay = null;
        DateTimeOffset? boardAt = null, alightAt = null;
        TripClose close = TripClose.Open;
        long adultFare = 0, charge = 0, categoryFare = 0, transferDiscount = 0, capReduction = 0;
        bool transfer = false;
        StoredTapRef? board = null, alight = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            if (r.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            switch (name)
            {
                case "route": route = r.GetString(); break;
                case "vehicle": vehicle = r.GetString(); break;
                case "boardStop": boardStop = r.GetString(); break;
                case "boardAt": boardAt = r.GetDateTimeOffset(); break;
                case "alightStop": alightStop = r.GetString(); break;
                case "alightAt": alightAt = r.GetDateTimeOffset(); break;
                case "close": close = Close(ref r); break;
                case "category": category = r.GetString(); break;
                case "adultFare": adultFare = r.GetInt64(); break;
                case "charge": charge = r.GetInt64(); break;
                case "transfer": transfer = r.GetBoolean(); break;
                case "serviceDay": serviceDay = r.GetString(); break;
                case "board": board = TapRef(ref r); break;
                case "alight": alight = TapRef(ref r); break;
                case "categoryFare": categoryFare = r.GetInt64(); break;
                case "transferDiscount": transferDiscount = r.GetInt64(); break;
                case "capReduction": capReduction = r.GetInt64(); break;
                default: r.Skip(); break;
            }
        }

        if (route is null || vehicle is null || category is null || serviceDay is null)
        {
            throw new InvalidDataException("a stored trip lacks its route, vehicle, category or service day");
        }

        return new Trip(route, vehicle, boardStop, boardAt, alightStop, alightAt, close, category, adultFare, charge, transfer, serviceDay,
            board, alight, categoryFare, transferDiscount, capReduction);
    }

    private static TripClose Close(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number ? (TripClose)r.GetInt32()
        : Enum.TryParse(r.GetString(), ignoreCase: true, out TripClose c) ? c
        : throw new InvalidDataException($"a stored trip's close '{r.GetString()}' is not one of {string.Join(", ", Enum.GetNames<TripClose>())}");

    private static StoredTapRef TapRef(ref Utf8JsonReader r)
    {
        string? device = null;
        ulong seq = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            switch (name)
            {
                case "device": device = r.GetString(); break;
                case "seq": seq = r.GetUInt64(); break;
                default: r.Skip(); break;
            }
        }

        return new StoredTapRef(device ?? throw new InvalidDataException("a stored trip's tap lacks its device"), seq);
    }
}
