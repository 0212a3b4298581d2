using System.Globalization;
using System.Text;

namespace Maebashi.Edge.Bench.Registry;

/// <summary>Writes a city-sized registry: persons with 1–5 cards of every tech, the sample's routes and devices.</summary>
internal static class RegistryGenerator
{
    public static void Write(string path, int persons, int cards, int seed = 42)
    {
        var random = new Random(seed);
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        w.Write("""
            {"keys":{"regionKey":"6d6165626173686920726567696f6e206b657920666f722074657374732e2e21","linkKey":"6c696e6b206b6579206f6620746865206d6165626173686920636974792e2e21"},
            "tariff":{"dailyCap":{"adult":700,"child":350,"disability":350},"debtLimit":500,"ridePointsPer100":1},
            "routes":[{"id":"R01","kind":"zonal","baseFare":180,"zoneFare":40,"maxFare":340,"transferDiscount":50,"stops":[{"id":"S01","zone":1},{"id":"S02","zone":2},{"id":"S03","zone":3}]}],
            "clinics":[{"id":"C01","name":"前橋中央クリニック"}],
            "devices":[{"id":"BUS0001","role":"bus","vehicle":"V0001","key":"62757330303432206b6579206f6e6c7920666f7220746573747320212121212121"},{"id":"EVT01","role":"event","key":"65767430312064657669636520746573742d6b657920212121212121212121"},{"id":"CLN01","role":"clinic","clinic":"C01","key":"636c6e30312064657669636520746573742d6b657920212121212121212121"}],
            "events":[{"id":"E1","sector":"volunteer","start":"2026-11-29T09:00:00+09:00","end":"2026-11-29T12:00:00+09:00","points":50,"sites":["EVT01"]}],
            "persons":[
            """);
        for (int i = 0; i < persons; i++)
        {
            if (i > 0)
            {
                w.Write(",\n");
            }

            var birth = new DateOnly(1930, 1, 1).AddDays(random.Next(0, 35_000));
            w.Write($"{{\"pid\":\"P{i:D7}\",\"birthDate\":\"{birth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}\",\"flags\":[{(random.Next(30) == 0 ? "\"disability\"" : "")}],\"autoPointPay\":true,\"openingValue\":{random.Next(0, 5000)}}}");
        }

        w.Write("],\n\"cards\":[\n");
        Span<byte> uid = stackalloc byte[12];
        for (int i = 0; i < cards; i++)
        {
            if (i > 0)
            {
                w.Write(",\n");
            }

            // Unique UIDs: the index in the last bytes, random bytes before it.
            int kind = i % 10;
            (string tech, int len) = kind switch
            {
                < 5 => ("iso14443a", 7),
                < 7 => ("iso14443a", 4),
                7 => ("iso14443a", 10),
                8 => ("felica", 8),
                _ => ("jpki", 12),
            };
            random.NextBytes(uid[..len]);
            uid[len - 4] = (byte)(i >> 24);
            uid[len - 3] = (byte)(i >> 16);
            uid[len - 2] = (byte)(i >> 8);
            uid[len - 1] = (byte)i;
            string status = random.Next(200) == 0 ? "lost" : "active";
            w.Write($"{{\"uid\":\"{Convert.ToHexString(uid[..len])}\",\"tech\":\"{tech}\",\"pid\":\"P{i % persons:D7}\",\"status\":\"{status}\"}}");
        }

        w.Write("]}\n");
    }
}
