using System.Globalization;
using System.Text.Json;

namespace Maebashi.Edge.Bench.Ingest;

/// <summary>Writes a city-sized registry: persons, cards (about 3 per person), bus devices, the sample's routes.</summary>
internal static class RegistryGenerator
{
    public const string RegionKey = "6d6165626173686920726567696f6e206b657920666f722074657374732e2e21";
    public const string LinkKey = "6c696e6b206b6579206f6620746865206d6165626173686920636974792e2e21";

    public static string DeviceId(int i) => $"BUS{i:D4}";

    public static string DeviceKeyHex(int i) => Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes($"bench bus {i:D4} key, 32 bytes!!"));

    /// <summary>UID of card i: a 4-byte value, unique because 2654435761 is odd (a bijection mod 2^32).</summary>
    public static string Uid(int i) => unchecked((uint)i * 2654435761u).ToString("X8", CultureInfo.InvariantCulture);

    public static int PersonOfCard(int card, int persons) => card % persons;

    public static void Write(string path, int persons, int cards, int buses)
    {
        using FileStream fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs);
        w.WriteStartObject();
        w.WriteStartObject("keys");
        w.WriteString("regionKey", RegionKey);
        w.WriteString("linkKey", LinkKey);
        w.WriteEndObject();
        w.WriteStartObject("tariff");
        w.WriteStartObject("dailyCap");
        w.WriteNumber("adult", 700);
        w.WriteNumber("child", 350);
        w.WriteNumber("disability", 350);
        w.WriteEndObject();
        w.WriteNumber("debtLimit", 500);
        w.WriteNumber("ridePointsPer100", 1);
        w.WriteEndObject();

        w.WriteStartArray("routes");
        w.WriteStartObject();
        w.WriteString("id", "R01");
        w.WriteString("kind", "zonal");
        w.WriteNumber("baseFare", 180);
        w.WriteNumber("zoneFare", 40);
        w.WriteNumber("maxFare", 340);
        w.WriteNumber("transferDiscount", 50);
        w.WriteStartArray("stops");
        for (int s = 1; s <= 7; s++)
        {
            w.WriteStartObject();
            w.WriteString("id", $"S{s:D2}");
            w.WriteNumber("zone", Math.Min(5, (s + 1) / 2));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("persons");
        var rnd = new Random(7);
        for (int p = 0; p < persons; p++)
        {
            w.WriteStartObject();
            w.WriteString("pid", $"P{p:D7}");
            w.WriteString("birthDate", new DateOnly(1940 + rnd.Next(80), 1 + rnd.Next(12), 1 + rnd.Next(28)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteStartArray("flags");
            if (p % 50 == 0)
            {
                w.WriteStringValue("disability");
            }

            w.WriteEndArray();
            w.WriteBoolean("autoPointPay", true);
            w.WriteNumber("openingValue", 5000);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("cards");
        for (int c = 0; c < cards; c++)
        {
            w.WriteStartObject();
            w.WriteString("uid", Uid(c));
            w.WriteString("tech", "iso14443a");
            w.WriteString("pid", $"P{PersonOfCard(c, persons):D7}");
            w.WriteString("status", c % 997 == 0 ? "lost" : "active");
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("devices");
        for (int d = 0; d < buses; d++)
        {
            w.WriteStartObject();
            w.WriteString("id", DeviceId(d));
            w.WriteString("role", "bus");
            w.WriteString("vehicle", $"V{d:D4}");
            w.WriteString("key", DeviceKeyHex(d));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("events");
        w.WriteEndArray();
        w.WriteStartArray("clinics");
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
