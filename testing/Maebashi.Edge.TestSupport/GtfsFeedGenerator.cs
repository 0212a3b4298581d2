using System.Globalization;
using System.Text;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// A prefecture-sized GTFS-JP feed for the import benchmark: by default 29 operators (as Gunma publishes), about
/// 3,000 stops and 300 routes, each route run both ways by 16 trips a day and every third with a short working;
/// half the operators charge a flat fare and half by origin–destination zones. Deterministic for given sizes.
/// </summary>
public static class GtfsFeedGenerator
{
    public const int Operators = 29;
    public const int Stops = 3_000;
    public const int Routes = 300;

    private const int TripsPerDirection = 8;

    /// <summary>Writes the feed's .txt files into <paramref name="folder"/> (created).</summary>
    public static void Write(string folder, int operators = Operators, int stops = Stops, int routes = Routes)
    {
        Directory.CreateDirectory(folder);
        using var agency = Open(folder, "agency.txt", "agency_id,agency_name,agency_url,agency_timezone,agency_lang");
        using var agencyJp = Open(folder, "agency_jp.txt", "agency_id,agency_official_name");
        using var routeFile = Open(folder, "routes.txt", "route_id,agency_id,route_short_name,route_long_name,route_type");
        using var stopFile = Open(folder, "stops.txt", "stop_id,stop_name,stop_lat,stop_lon,zone_id,location_type,platform_code");
        using var trips = Open(folder, "trips.txt", "route_id,service_id,trip_id,trip_headsign,direction_id");
        using var times = Open(folder, "stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence");
        using var fares = Open(folder, "fare_attributes.txt", "fare_id,price,currency_type,payment_method,transfers,agency_id");
        using var rules = Open(folder, "fare_rules.txt", "fare_id,route_id,origin_id,destination_id");
        using var translations = Open(folder, "translations.txt", "table_name,field_name,language,translation,record_id,record_sub_id,field_value");
        File.WriteAllText(Path.Combine(folder, "feed_info.txt"), "feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,feed_end_date\n群馬県,https://www.pref.gunma.jp/,ja,20260401,20990331\n");
        File.WriteAllText(Path.Combine(folder, "calendar.txt"), "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nweekday,1,1,1,1,1,0,0,20260401,20990331\n");

        for (int op = 0; op < operators; op++)
        {
            string a = $"op{op + 1:D2}";
            bool byZone = op % 2 == 1;
            agency.WriteLine($"{a},群馬交通{op + 1}号社,https://example.jp/{a}/,Asia/Tokyo,ja");
            agencyJp.WriteLine($"{a},群馬交通{op + 1}号社株式会社");
            translations.WriteLine($"agency,agency_name,en,Gunma Kotsu No. {op + 1},{a},,");

            // The operator's stops on a grid about 400 m apart, somewhere in the prefecture.
            int first = stops * op / operators;
            int count = (stops * (op + 1) / operators) - first;
            double lat0 = 36.25 + (op % 6 * 0.07);
            double lon0 = 138.80 + (op / 6 * 0.10);
            for (int i = 0; i < count; i++)
            {
                string zone = byZone ? $"{a}Z{(i / 12) + 1}" : "";
                stopFile.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{a}S{i + 1:D4},{a} 停留所{i + 1},{lat0 + (i % 10 * 0.0036):F6},{lon0 + (i / 10 * 0.0045):F6},{zone},0,"));
                translations.WriteLine($"stops,stop_name,en,Stop {i + 1} ({a}),{a}S{i + 1:D4},,");
            }

            if (!byZone)
            {
                fares.WriteLine($"{a}F,{160 + (op * 10)},JPY,0,0,{a}");
            }
            else
            {
                for (int d = 0; d <= count / 12; d++)
                {
                    fares.WriteLine($"{a}F{d},{150 + (d * 40)},JPY,0,0,{a}");
                }
            }

            int firstRoute = routes * op / operators;
            int routeCount = (routes * (op + 1) / operators) - firstRoute;
            for (int r = 0; r < routeCount; r++)
            {
                string route = $"{a}R{r + 1:D2}";
                int length = 15 + ((r * 7) % 16);
                int step = 1 + (r % 3);
                int start = (r * 11) % count;
                List<int> path = [.. Enumerable.Range(0, Math.Min(length, count / step)).Select(j => (start + (j * step)) % count)];
                routeFile.WriteLine($"{route},{a},{r + 1}系統,{a} 停留所{path[0] + 1} – 停留所{path[^1] + 1},3");
                WriteTrips(trips, times, route, path, a, 0, r % 3 == 0);
                WriteTrips(trips, times, route, [.. Enumerable.Reverse(path)], a, 1, false);
                if (!byZone)
                {
                    rules.WriteLine($"{a}F,{route},,");
                    continue;
                }

                var zones = path.Select(i => (i / 12) + 1).Distinct().ToList();
                foreach (int from in zones)
                {
                    foreach (int to in zones)
                    {
                        rules.WriteLine($"{a}F{Math.Abs(to - from)},{route},{a}Z{from},{a}Z{to}");
                    }
                }
            }
        }
    }

    private static void WriteTrips(StreamWriter trips, StreamWriter times, string route, List<int> path, string agency, int direction, bool shortWorking)
    {
        for (int t = 0; t < TripsPerDirection; t++)
        {
            List<int> stops = shortWorking && t % 2 == 1 ? path[..(path.Count * 2 / 3)] : path;
            string trip = $"{route}_{direction}_{t + 1:D2}";
            trips.WriteLine($"{route},weekday,{trip},{agency} 停留所{stops[^1] + 1},{direction}");
            int minute = (6 * 60) + (t * 90) + (direction * 45);
            for (int s = 0; s < stops.Count; s++)
            {
                string at = string.Create(CultureInfo.InvariantCulture, $"{(minute + (s * 3)) / 60:D2}:{(minute + (s * 3)) % 60:D2}:00");
                times.WriteLine($"{trip},{at},{at},{agency}S{stops[s] + 1:D4},{s + 1}");
            }
        }
    }

    private static StreamWriter Open(string folder, string name, string header)
    {
        var w = new StreamWriter(Path.Combine(folder, name), false, new UTF8Encoding(false)) { NewLine = "\r\n" };
        w.WriteLine(header);
        return w;
    }
}
