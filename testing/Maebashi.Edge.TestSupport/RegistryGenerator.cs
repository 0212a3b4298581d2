using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// City-sized registries for benchmarks: the same keys and tariff, in two shapes —
/// <see cref="WriteBusFleet"/> (Type A cards whose UIDs a benchmark can compute, and many buses) and
/// <see cref="WriteMixedCards"/> (1–5 cards per person of every tech, as the registry loader meets them).
/// </summary>
public static class RegistryGenerator
{
    public const string RegionKey = "6d6165626173686920726567696f6e206b657920666f722074657374732e2e21";
    public const string LinkKey = "6c696e6b206b6579206f6620746865206d6165626173686920636974792e2e21";

    /// <summary>In <see cref="WriteBusFleet"/>, one card in this many is reported lost.</summary>
    public const int LostCardEvery = 997;

    public static string DeviceId(int i) => $"BUS{i:D4}";

    public static string DeviceKeyHex(int i) => Convert.ToHexStringLower(Encoding.ASCII.GetBytes($"bench bus {i:D4} key, 32 bytes!!"));

    /// <summary>The clinic reception device <see cref="WriteBusFleet"/> adds when asked, at clinic <see cref="BenchClinic"/>.</summary>
    public const string ClinicDeviceId = "CLN01";

    public const string BenchClinic = "C01";

    public static string ClinicDeviceKeyHex => Convert.ToHexStringLower(Encoding.ASCII.GetBytes("bench clinic CLN01 key, 32 bytes"));

    /// <summary>UID of card i: a 4-byte value, unique because 2654435761 is odd (a bijection mod 2^32).</summary>
    public static string Uid(int i) => unchecked((uint)i * 2654435761u).ToString("X8", CultureInfo.InvariantCulture);

    public static int PersonOfCard(int card, int persons) => card % persons;

    /// <summary>
    /// Persons, cards (card c belongs to person c mod persons, UID <see cref="Uid"/>, every
    /// <see cref="LostCardEvery"/>th lost), <paramref name="buses"/> bus devices (<see cref="DeviceId"/>,
    /// <see cref="DeviceKeyHex"/>) and one zonal route of 7 stops; with <paramref name="clinic"/>, also clinic
    /// <see cref="BenchClinic"/> and its reception device <see cref="ClinicDeviceId"/>.
    /// </summary>
    public static void WriteBusFleet(string path, int persons, int cards, int buses, bool clinic = false)
    {
        using FileStream fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs);
        w.WriteStartObject();
        WriteKeysAndTariff(w);

        w.WriteStartArray("routes");
        WriteZonalRoute(w, "R01", Enumerable.Range(1, 7).Select(s => (s, Math.Min(5, (s + 1) / 2))));
        w.WriteEndArray();

        w.WriteStartArray("persons");
        var rnd = new Random(7);
        for (int p = 0; p < persons; p++)
        {
            var birth = new DateOnly(1940 + rnd.Next(80), 1 + rnd.Next(12), 1 + rnd.Next(28));
            WritePerson(w, p, birth, disability: p % 50 == 0, openingValue: 5000);
        }

        w.WriteEndArray();

        w.WriteStartArray("cards");
        for (int c = 0; c < cards; c++)
        {
            WriteCard(w, Uid(c), "iso14443a", PersonOfCard(c, persons), lost: c % LostCardEvery == 0);
        }

        w.WriteEndArray();

        w.WriteStartArray("devices");
        for (int d = 0; d < buses; d++)
        {
            WriteDevice(w, DeviceId(d), "bus", DeviceKeyHex(d), vehicle: $"V{d:D4}");
        }

        if (clinic)
        {
            WriteDevice(w, ClinicDeviceId, "clinic", ClinicDeviceKeyHex, clinic: BenchClinic);
        }

        w.WriteEndArray();
        w.WriteStartArray("events");
        w.WriteEndArray();
        w.WriteStartArray("clinics");
        if (clinic)
        {
            w.WriteStartObject();
            w.WriteString("id", BenchClinic);
            w.WriteString("name", "前橋中央クリニック");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Persons with random birth dates and opening values, and cards of every tech (half 7-byte Type A, a fifth
    /// 4-byte, a tenth each 10-byte Type A, FeliCa and JPKI; unique because the index ends each UID), about 1 in
    /// 200 lost; a clinic, a bus, an event site and one event. The same <paramref name="seed"/> writes the same file.
    /// </summary>
    public static void WriteMixedCards(string path, int persons, int cards, int seed = 42)
    {
        var random = new Random(seed);
        using FileStream fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs);
        w.WriteStartObject();
        WriteKeysAndTariff(w);

        w.WriteStartArray("routes");
        WriteZonalRoute(w, "R01", [(1, 1), (2, 2), (3, 3)]);
        w.WriteEndArray();

        w.WriteStartArray("clinics");
        w.WriteStartObject();
        w.WriteString("id", "C01");
        w.WriteString("name", "前橋中央クリニック");
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("devices");
        WriteDevice(w, "BUS0001", "bus", "62757330303432206b6579206f6e6c7920666f7220746573747320212121212121", vehicle: "V0001");
        WriteDevice(w, "EVT01", "event", "65767430312064657669636520746573742d6b657920212121212121212121");
        WriteDevice(w, "CLN01", "clinic", "636c6e30312064657669636520746573742d6b657920212121212121212121", clinic: "C01");
        w.WriteEndArray();

        w.WriteStartArray("events");
        w.WriteStartObject();
        w.WriteString("id", "E1");
        w.WriteString("sector", "volunteer");
        w.WriteString("start", "2026-11-29T09:00:00+09:00");
        w.WriteString("end", "2026-11-29T12:00:00+09:00");
        w.WriteNumber("points", 50);
        w.WriteStartArray("sites");
        w.WriteStringValue("EVT01");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("persons");
        for (int i = 0; i < persons; i++)
        {
            // Drawn in this order (birth date, flag, opening value) so that a seed keeps meaning the same registry.
            DateOnly birth = new DateOnly(1930, 1, 1).AddDays(random.Next(0, 35_000));
            bool disability = random.Next(30) == 0;
            WritePerson(w, i, birth, disability, openingValue: random.Next(0, 5000));
        }

        w.WriteEndArray();

        w.WriteStartArray("cards");
        Span<byte> uid = stackalloc byte[12];
        for (int i = 0; i < cards; i++)
        {
            (string tech, int len) = (i % 10) switch
            {
                < 5 => ("iso14443a", 7),
                < 7 => ("iso14443a", 4),
                7 => ("iso14443a", 10),
                8 => ("felica", 8),
                _ => ("jpki", 12),
            };
            // Unique UIDs: the index in the last bytes, random bytes before it.
            random.NextBytes(uid[..len]);
            uid[len - 4] = (byte)(i >> 24);
            uid[len - 3] = (byte)(i >> 16);
            uid[len - 2] = (byte)(i >> 8);
            uid[len - 1] = (byte)i;
            bool lost = random.Next(200) == 0;
            WriteCard(w, Convert.ToHexString(uid[..len]), tech, i % persons, lost);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteKeysAndTariff(Utf8JsonWriter w)
    {
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
    }

    private static void WriteZonalRoute(Utf8JsonWriter w, string id, IEnumerable<(int Stop, int Zone)> stops)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("kind", "zonal");
        w.WriteNumber("baseFare", 180);
        w.WriteNumber("zoneFare", 40);
        w.WriteNumber("maxFare", 340);
        w.WriteNumber("transferDiscount", 50);
        w.WriteStartArray("stops");
        foreach ((int stop, int zone) in stops)
        {
            w.WriteStartObject();
            w.WriteString("id", $"S{stop:D2}");
            w.WriteNumber("zone", zone);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WritePerson(Utf8JsonWriter w, int index, DateOnly birth, bool disability, int openingValue)
    {
        w.WriteStartObject();
        w.WriteString("pid", $"P{index:D7}");
        w.WriteString("birthDate", birth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteStartArray("flags");
        if (disability)
        {
            w.WriteStringValue("disability");
        }

        w.WriteEndArray();
        w.WriteBoolean("autoPointPay", true);
        w.WriteNumber("openingValue", openingValue);
        w.WriteEndObject();
    }

    private static void WriteCard(Utf8JsonWriter w, string uid, string tech, int person, bool lost)
    {
        w.WriteStartObject();
        w.WriteString("uid", uid);
        w.WriteString("tech", tech);
        w.WriteString("pid", $"P{person:D7}");
        w.WriteString("status", lost ? "lost" : "active");
        w.WriteEndObject();
    }

    private static void WriteDevice(Utf8JsonWriter w, string id, string role, string key, string? vehicle = null, string? clinic = null)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("role", role);
        if (vehicle is not null)
        {
            w.WriteString("vehicle", vehicle);
        }

        if (clinic is not null)
        {
            w.WriteString("clinic", clinic);
        }

        w.WriteString("key", key);
        w.WriteEndObject();
    }
}
