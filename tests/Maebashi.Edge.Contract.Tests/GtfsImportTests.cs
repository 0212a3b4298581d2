using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>
/// <c>registry import-gtfs</c> run as a technician runs it, on the sample GTFS-JP feed of fixtures/gtfs and on
/// copies of it with one thing changed.
/// </summary>
[Trait("Category", "Gtfs")]
public sealed class GtfsImportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"gtfs-import-{Guid.NewGuid():N}");

    public GtfsImportTests() => Directory.CreateDirectory(_dir);

    public static string SampleFeed => Path.Combine(SharedFixtures.Directory, "gtfs", "maebashi-sample");

    private string Out => Path.Combine(_dir, "out.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A copy of the sample feed to change.</summary>
    private string CopyOfFeed(string name = "feed")
    {
        string feed = Path.Combine(_dir, name);
        Directory.CreateDirectory(feed);
        foreach (string file in Directory.EnumerateFiles(SampleFeed, "*.txt"))
        {
            File.Copy(file, Path.Combine(feed, Path.GetFileName(file)));
        }

        return feed;
    }

    private static void Edit(string feed, string file, Func<string, string> change)
    {
        string path = Path.Combine(feed, file);
        File.WriteAllText(path, change(File.ReadAllText(path)));
    }

    private static ProcessResult Import(string feed, string registry, string output, params string[] more) =>
        EdgeCli.Run(["registry", "import-gtfs", "--feed", feed, "--registry", registry, "--out", output, .. more]);

    private static JsonObject Read(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    private static JsonObject Route(JsonObject registry, string id) =>
        registry["routes"]!.AsArray().Single(r => (string?)r!["id"] == id)!.AsObject();

    private static string[] RouteIds(JsonObject registry) => [.. registry["routes"]!.AsArray().Select(r => (string)r!["id"]!)];

    [Fact]
    public void The_sample_feed_merges_into_the_registry_and_the_output_passes_registry_check()
    {
        ProcessResult run = Import(SampleFeed, SharedFixtures.RegistryPath, Out);

        Assert.True(run.Exit == 0, run.Out + run.Err);
        Assert.Contains("2 agencies, 3 routes (1 flat, 2 table), 11 stops, 1 fare tables", run.Out, StringComparison.Ordinal);
        ProcessResult check = EdgeCli.Run("registry", "check", Out);
        Assert.True(check.Exit == 0, check.Out);
        Assert.Contains("routes   5", check.Out, StringComparison.Ordinal);
        Assert.Contains("agencies 2", check.Out, StringComparison.Ordinal);

        JsonObject registry = Read(Out);
        JsonObject my1 = Route(registry, "MY1");
        Assert.Equal("flat", (string?)my1["kind"]);
        Assert.Equal(180, (long)my1["flatFare"]!);
        Assert.Equal("mybus", (string?)my1["agency"]);
        Assert.Equal("前橋駅 – 県庁 – 前橋公園", (string?)my1["name"]);
        Assert.Equal("Maebashi Sta. – Prefectural Office – Maebashi Park", (string?)my1["names"]!["en"]);

        // Platform 2 of 前橋駅 (the station itself, location_type 1, is no stop); names by field_value and by record_id.
        JsonObject kt1 = Route(registry, "KT1");
        Assert.Equal("table", (string?)kt1["kind"]);
        Assert.Equal("kanetsu-fares", (string?)kt1["fareTable"]);
        JsonObject first = kt1["stops"]![0]!.AsObject();
        Assert.Equal("1001_02", (string?)first["id"]);
        Assert.Equal("2", (string?)first["code"]);
        Assert.Equal("Z1", (string?)first["fareZone"]);
        Assert.Equal(36.38385, (double)first["lat"]!, 6);
        Assert.Equal(139.0737, (double)first["lon"]!, 6);
        Assert.Equal("Maebashi Station", (string?)first["names"]!["en"]);
        Assert.Equal("まえばしえき", (string?)first["names"]!["ja-Hrkt"]);
        Assert.Equal("Aramaki", (string?)kt1["stops"]![4]!["names"]!["en"]);
        Assert.DoesNotContain(registry["routes"]!.AsArray().SelectMany(r => r!["stops"]!.AsArray()), s => (string?)s!["id"] == "1001");

        // Both directions, the most-run pattern first, and the short working as a pattern of its own.
        string[] patterns = [.. kt1["patterns"]!.AsArray().Select(p => $"{p!["id"]} {p["direction"]} {p["headsign"]}: {string.Join(" ", p["stops"]!.AsArray().Select(s => (string?)s))}")];
        Assert.Equal(
        [
            "KT1-0-1 0 荒牧: 1001_02 3001 3002 3003 3004",
            "KT1-0-2 0 上小出町: 1001_02 3001 3002",
            "KT1-1-1 1 前橋駅: 3004 3003 3002 3001 1001_02",
        ], patterns);

        JsonObject kanetsu = registry["agencies"]!.AsArray().Single(a => (string?)a!["id"] == "kanetsu")!.AsObject();
        Assert.Equal("関越交通株式会社", (string?)kanetsu["officialName"]);
        Assert.Equal("Kan-etsu Kotsu", (string?)kanetsu["names"]!["en"]);
        JsonArray fares = registry["fareTables"]!.AsArray().Single()!["fares"]!.AsArray();
        Assert.Equal(300, (long)fares.Single(f => (string?)f!["from"] == "Z1" && (string?)f["to"] == "Z4")!["fare"]!);
    }

    [Fact]
    public void Everything_else_in_the_registry_is_kept_as_it_was_and_no_uid_is_printed()
    {
        JsonObject input = Read(SharedFixtures.RegistryPath);

        ProcessResult run = Import(SampleFeed, SharedFixtures.RegistryPath, Out);

        Assert.Equal(0, run.Exit);
        JsonObject output = Read(Out);
        foreach (string member in new[] { "keys", "tariff", "persons", "cards", "devices", "events", "clinics" })
        {
            Assert.True(JsonNode.DeepEquals(input[member], output[member]), member + " changed");
        }

        Assert.True(JsonNode.DeepEquals(input["routes"]![0], Route(output, "R01")));
        Assert.True(JsonNode.DeepEquals(input["routes"]![1], Route(output, "R02")));
        foreach (JsonNode? card in input["cards"]!.AsArray())
        {
            Assert.DoesNotContain((string)card!["uid"]!, run.Out + run.Err, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData(false)] // the files at the top of the zip, as GTFS says
    [InlineData(true)] // in one folder, as some operators zip them
    public void A_zip_feed_as_operators_publish_it_gives_the_same_registry_as_its_folder(bool inAFolder)
    {
        string zip = Path.Combine(_dir, "maebashi-sample.zip");
        ZipFile.CreateFromDirectory(SampleFeed, zip, CompressionLevel.Optimal, includeBaseDirectory: inAFolder);
        string fromFolder = Path.Combine(_dir, "from-folder.json");

        Assert.Equal(0, Import(SampleFeed, SharedFixtures.RegistryPath, fromFolder).Exit);
        ProcessResult run = Import(zip, SharedFixtures.RegistryPath, Out);

        Assert.True(run.Exit == 0, run.Out);
        Assert.Equal(File.ReadAllText(fromFolder), File.ReadAllText(Out));
    }

    [Fact]
    public void The_older_gtfs_jp_translations_form_names_by_the_japanese_text()
    {
        string feed = CopyOfFeed();
        File.WriteAllText(Path.Combine(feed, "translations.txt"), "trans_id,lang,translation\r\n前橋駅,en,Maebashi Sta.\r\n荒牧,en,Aramaki\r\n関越交通,en,Kan-etsu\r\n");

        Assert.Equal(0, Import(feed, SharedFixtures.RegistryPath, Out).Exit);

        JsonObject registry = Read(Out);
        JsonObject kt1 = Route(registry, "KT1");
        Assert.Equal("Maebashi Sta.", (string?)kt1["stops"]![0]!["names"]!["en"]);
        Assert.Equal("Aramaki", (string?)kt1["stops"]![4]!["names"]!["en"]);
        Assert.Null(kt1["stops"]![1]!["names"]);
        Assert.Equal("Kan-etsu", (string?)registry["agencies"]![1]!["names"]!["en"]);
    }

    public static TheoryData<string, string, string, string, string> BadFeeds() => new()
    {
        // what, file, text replaced, by, expected problem
        { "bad coordinate", "stops.txt", "36.38800,139.06950", "36.3x8,139.06950", "stops.txt line 5, stop_lat: expected decimal degrees (WGS84), got '36.3x8'" },
        { "latitude out of range", "stops.txt", "36.38800,139.06950", "96.38800,139.06950", "stops.txt line 5, stop_lat: must be between -90 and 90, got 96.38800" },
        { "duplicate stop_id", "stops.txt", "3004,,荒牧", "3003,,荒牧", "stops.txt line 11, stop_id: duplicate stop_id '3003' (also line 10)" },
        { "stop time at an unknown stop", "stop_times.txt", "MY1_0_01,07:37:00,07:37:00,1001_01,1", "MY1_0_01,07:37:00,07:37:00,9999,1", "stop_times.txt line 2, stop_id: unknown stop_id '9999'" },
        { "stop time at a station", "stop_times.txt", "MY1_0_01,07:37:00,07:37:00,1001_01,1", "MY1_0_01,07:37:00,07:37:00,1001,1", "stop_times.txt line 2, stop_id: unknown stop_id '1001' (not a stop of stops.txt with location_type 0)" },
        { "trip of an unknown route", "trips.txt", "MY1,weekday,MY1_0_01", "MY9,weekday,MY1_0_01", "trips.txt line 2, route_id: unknown route_id 'MY9' (not in routes.txt)" },
        { "direction 2", "trips.txt", "MY1,weekday,MY1_0_01,前橋公園,,0", "MY1,weekday,MY1_0_01,前橋公園,,2", "trips.txt line 2, direction_id: expected 0 or 1, got '2'" },
        { "fare rule of an unknown fare", "fare_rules.txt", "MY_180,MY1,,,", "MY_190,MY1,,,", "fare_rules.txt line 2, fare_id: unknown fare_id 'MY_190' (not in fare_attributes.txt)" },
        { "fare rule of an unknown zone", "fare_rules.txt", "KT_300,KT1,Z1,Z4,", "KT_300,KT1,Z1,Z9,", "destination_id: unknown zone 'Z9'" },
        { "route of an unknown agency", "routes.txt", "KT2,kanetsu", "KT2,jomo", "routes.txt line 4, agency_id: unknown agency_id 'jomo' (not in agency.txt)" },
        { "price not in whole yen", "fare_attributes.txt", "MY_180,180,", "MY_180,180.5,", "fare_attributes.txt line 2, price: expected whole yen 0 or more, got '180.5'" },
        { "missing column", "routes.txt", "route_id,agency_id", "id,agency_id", "routes.txt line 1, route_id: missing column" },
        { "agency_id used by two agencies", "agency.txt", "kanetsu,関越交通", "mybus,関越交通", "agency.txt line 3, agency_id: agency_id 'mybus' is used by two agencies: '前橋市 マイバス' (line 2) and '関越交通'" },
        { "route_id used by two agencies", "routes.txt", "KT2,kanetsu", "MY1,kanetsu", "routes.txt line 4, route_id: route_id 'MY1' is used by two agencies: 'mybus' (line 2) and 'kanetsu'" },
        { "a ride without a fare", "fare_rules.txt", "KT_250,KT1,Z2,Z4,\r\nKT_250,KT1,Z4,Z2,\r\n", "", "routes.txt line 3, route_id: route 'KT1' runs from stop '3002' (zone 'Z2') to stop '3004' (zone 'Z4'), but fare_rules.txt has no fare between the two zones" },
        { "a table route's stop without a zone", "stops.txt", "Z3,,0,,,,\r\n3004", ",,0,,,,\r\n3004", "stops.txt line 10, zone_id: stop '3003' is on route 'KT1', whose fares go by zone, but has no zone_id" },
        { "two flat fares", "fare_rules.txt", "MY_180,MY1,,,", "MY_180,MY1,,,\r\nKT_170,MY1,,,", "fare_rules.txt line 3, fare_id: route 'MY1' has more than one flat fare (180 and 170 yen)" },
    };

    [Theory]
    [MemberData(nameof(BadFeeds))]
    public void Each_kind_of_problem_names_file_line_and_field_and_nothing_is_written(string what, string file, string text, string by, string expected)
    {
        string feed = CopyOfFeed();
        Edit(feed, file, content =>
        {
            Assert.True(content.Contains(text, StringComparison.Ordinal), $"{what}: the sample's {file} has no '{text}'");
            return content.Replace(text, by, StringComparison.Ordinal);
        });

        ProcessResult run = Import(feed, SharedFixtures.RegistryPath, Out);

        Assert.Equal(1, run.Exit);
        Assert.Contains("nothing written", run.Out, StringComparison.Ordinal);
        Assert.True(run.Out.Contains(expected, StringComparison.Ordinal), $"{what}: expected '{expected}' in\n{run.Out}");
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void Every_problem_is_listed_not_just_the_first()
    {
        string feed = CopyOfFeed();
        Edit(feed, "stops.txt", s => s.Replace("36.38800,139.06950", "36.38800,east", StringComparison.Ordinal));
        Edit(feed, "trips.txt", s => s.Replace("KT2,weekday,KT2_0_01", "KT3,weekday,KT2_0_01", StringComparison.Ordinal));
        Edit(feed, "fare_rules.txt", s => s.Replace("MY_180,MY1,,,", "MY_180,MY1,Z1,,", StringComparison.Ordinal));
        File.Delete(Path.Combine(feed, "agency_jp.txt")); // optional: not a problem
        File.WriteAllText(Out, "left alone");

        ProcessResult run = Import(feed, SharedFixtures.RegistryPath, Out);

        Assert.Equal(1, run.Exit);
        Assert.Contains("stops.txt line 5, stop_lon: expected decimal degrees (WGS84), got 'east'", run.Out, StringComparison.Ordinal);
        Assert.Contains("trips.txt line 16, route_id: unknown route_id 'KT3'", run.Out, StringComparison.Ordinal);
        Assert.Contains("fare_rules.txt line 2, destination_id: an origin–destination fare needs both origin_id and destination_id", run.Out, StringComparison.Ordinal);
        Assert.Equal("left alone", File.ReadAllText(Out));
    }

    [Fact]
    public void A_feed_without_a_required_file_is_a_problem()
    {
        string feed = CopyOfFeed();
        File.Delete(Path.Combine(feed, "stop_times.txt"));

        ProcessResult run = Import(feed, SharedFixtures.RegistryPath, Out);

        Assert.Equal(1, run.Exit);
        Assert.Contains("stop_times.txt, (file): missing: a GTFS feed needs it", run.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void A_feed_or_registry_that_cannot_be_read_stops_the_verb_with_exit_2()
    {
        string notZip = Path.Combine(_dir, "feed.zip");
        File.WriteAllText(notZip, "not a zip");

        ProcessResult badZip = Import(notZip, SharedFixtures.RegistryPath, Out);
        ProcessResult noRegistry = Import(SampleFeed, Path.Combine(_dir, "missing.json"), Out);

        Assert.Equal(2, badZip.Exit);
        Assert.Contains($"--feed {notZip}: cannot read the feed", badZip.Err, StringComparison.Ordinal);
        Assert.Equal(2, noRegistry.Exit);
        Assert.Contains("missing.json: no such file", noRegistry.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void The_feeds_routes_replace_that_agencys_routes_and_other_routes_stay()
    {
        Assert.Equal(0, Import(SampleFeed, SharedFixtures.RegistryPath, Out).Exit);
        // The operator withdraws KT2 and publishes a new feed.
        string feed = CopyOfFeed();
        foreach (string file in new[] { "routes.txt", "trips.txt", "stop_times.txt", "fare_rules.txt" })
        {
            Edit(feed, file, s => string.Join("\r\n", s.Split("\r\n").Where(line => !line.Contains("KT2", StringComparison.Ordinal))));
        }

        string second = Path.Combine(_dir, "second.json");
        ProcessResult run = Import(feed, Out, second);

        Assert.True(run.Exit == 0, run.Out);
        Assert.Contains("3 routes replaced, 2 other routes kept", run.Out, StringComparison.Ordinal);
        Assert.Equal(["R01", "R02", "MY1", "KT1"], RouteIds(Read(second)));
        Assert.Equal(0, EdgeCli.Run("registry", "check", second).Exit);
    }

    [Fact]
    public void Agency_restricts_the_import_and_leaves_the_other_agencys_routes_alone()
    {
        Assert.Equal(0, Import(SampleFeed, SharedFixtures.RegistryPath, Out, "--agency", "kanetsu").Exit);
        Assert.Equal(["R01", "R02", "KT1", "KT2"], RouteIds(Read(Out)));

        // A newer mybus feed whose fare went up: kanetsu's routes and table, imported before, stay as they were.
        string feed = CopyOfFeed();
        Edit(feed, "fare_attributes.txt", s => s.Replace("MY_180,180,", "MY_180,200,", StringComparison.Ordinal));
        Edit(feed, "fare_rules.txt", s => s.Replace("KT_300,KT1,Z1,Z4,", "KT_250,KT1,Z1,Z4,", StringComparison.Ordinal));
        string second = Path.Combine(_dir, "second.json");

        ProcessResult run = Import(feed, Out, second, "--agency", "mybus");

        Assert.True(run.Exit == 0, run.Out);
        JsonObject before = Read(Out);
        JsonObject after = Read(second);
        Assert.Equal(["R01", "R02", "KT1", "KT2", "MY1"], RouteIds(after));
        Assert.Equal(200, (long)Route(after, "MY1")["flatFare"]!);
        Assert.True(JsonNode.DeepEquals(Route(before, "KT1"), Route(after, "KT1")));
        Assert.True(JsonNode.DeepEquals(before["fareTables"], after["fareTables"]));
    }

    [Fact]
    public void An_unknown_agency_given_is_a_problem()
    {
        ProcessResult run = Import(SampleFeed, SharedFixtures.RegistryPath, Out, "--agency", "jomo");

        Assert.Equal(1, run.Exit);
        Assert.Contains("agency.txt, agency_id: --agency jomo: no such agency in the feed (it has mybus, kanetsu)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_id_of_another_agency_in_the_registry_is_an_error_naming_both()
    {
        JsonObject registry = Read(SharedFixtures.RegistryPath);
        RegistryTests.Apply(registry, """agencies = [{"id":"jomo","name":"上毛電鉄バス"}]""");
        RegistryTests.Apply(registry, """routes[1].agency = "jomo" """);
        RegistryTests.Apply(registry, """routes[1].id = "KT1" """);
        string input = Path.Combine(_dir, "registry.json");
        File.WriteAllText(input, registry.ToJsonString());

        ProcessResult run = Import(SampleFeed, input, Out);

        Assert.Equal(1, run.Exit);
        Assert.Contains("routes.txt line 3, route_id: route_id 'KT1' is used by two agencies: 'kanetsu' (this feed) and 'jomo' (the registry's routes[1])", run.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void A_hand_written_route_of_the_same_id_is_an_error_too()
    {
        JsonObject registry = Read(SharedFixtures.RegistryPath);
        RegistryTests.Apply(registry, """routes[1].id = "MY1" """);
        string input = Path.Combine(_dir, "registry.json");
        File.WriteAllText(input, registry.ToJsonString());

        ProcessResult run = Import(SampleFeed, input, Out);

        Assert.Equal(1, run.Exit);
        Assert.Contains("route_id 'MY1' of agency 'mybus' is already the id of a route of no agency in the registry (routes[1])", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_feed_that_has_ended_or_ends_within_30_days_is_warned_of_and_still_imported()
    {
        DateOnly today = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(9)); // service days are Japanese days
        string ended = CopyOfFeed("ended");
        Edit(ended, "feed_info.txt", s => s.Replace(",20300331,", $",{today.AddDays(-1):yyyyMMdd},", StringComparison.Ordinal));
        string ending = CopyOfFeed("ending");
        Edit(ending, "feed_info.txt", s => s.Replace(",20300331,", $",{today.AddDays(12):yyyyMMdd},", StringComparison.Ordinal));

        ProcessResult past = Import(ended, SharedFixtures.RegistryPath, Out);
        ProcessResult soon = Import(ending, SharedFixtures.RegistryPath, Path.Combine(_dir, "soon.json"));
        ProcessResult sample = Import(SampleFeed, SharedFixtures.RegistryPath, Path.Combine(_dir, "sample.json"));

        Assert.Equal(0, past.Exit);
        Assert.Contains($"警告 / warning: 運行データの有効期限が切れています（{today.AddDays(-1):yyyy-MM-dd} まで）/ the feed ended on {today.AddDays(-1):yyyy-MM-dd} (feed_info.txt feed_end_date, line 2)", past.Out, StringComparison.Ordinal);
        Assert.Equal(0, soon.Exit);
        Assert.Contains($"the feed ends on {today.AddDays(12):yyyy-MM-dd}, in 12 days", soon.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", sample.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_benchmarks_generated_feed_imports_without_problems()
    {
        string feed = Path.Combine(_dir, "generated");
        GtfsFeedGenerator.Write(feed, operators: 3, stops: 300, routes: 30);

        ProcessResult run = Import(feed, SharedFixtures.RegistryPath, Out);

        Assert.True(run.Exit == 0, run.Out);
        Assert.Contains("3 agencies, 30 routes (20 flat, 10 table)", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_samples_stops_lie_in_maebashi_at_least_150_m_apart_along_every_pattern()
    {
        // The emulated GPS drives these routes: stops closer than 150 m would be within one geofence of each other.
        Assert.Equal(0, Import(SampleFeed, SharedFixtures.RegistryPath, Out).Exit);

        foreach (JsonObject route in Read(Out)["routes"]!.AsArray().Select(r => r!.AsObject()).Where(r => r["agency"] is not null))
        {
            var at = route["stops"]!.AsArray().ToDictionary(s => (string)s!["id"]!, s => ((double)s!["lat"]!, (double)s["lon"]!));
            Assert.All(at.Values, p => Assert.True(p.Item1 is > 36.3 and < 36.5 && p.Item2 is > 138.95 and < 139.15, $"{route["id"]}: {p} is not in Maebashi"));
            foreach (JsonNode? pattern in route["patterns"]!.AsArray())
            {
                string[] stops = [.. pattern!["stops"]!.AsArray().Select(s => (string)s!)];
                for (int i = 1; i < stops.Length; i++)
                {
                    double metres = Metres(at[stops[i - 1]], at[stops[i]]);
                    Assert.True(metres >= 150, $"{pattern["id"]}: {stops[i - 1]} → {stops[i]} is {metres:F0} m");
                }
            }
        }
    }

    /// <summary>Great-circle distance (haversine, mean Earth radius).</summary>
    private static double Metres((double Lat, double Lon) a, (double Lat, double Lon) b)
    {
        double rad = Math.PI / 180;
        double h = Math.Pow(Math.Sin((b.Lat - a.Lat) * rad / 2), 2) + (Math.Cos(a.Lat * rad) * Math.Cos(b.Lat * rad) * Math.Pow(Math.Sin((b.Lon - a.Lon) * rad / 2), 2));
        return 2 * 6_371_000 * Math.Asin(Math.Sqrt(h));
    }
}
