using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>
/// The registry's members and fields for GTFS-JP (docs/contract.md §7): agencies, fare tables, vehicles, stop
/// positions and fare zones, route patterns. Each problem names its entry and field like the others.
/// </summary>
[Trait("Category", "Gtfs")]
public class RegistryGtfsFieldsTests
{
    private const string Table = """fareTables = [{"id":"t","fares":[{"from":"A","to":"A","fare":100},{"from":"A","to":"B","fare":150}]}]""";

    public static TheoryData<string, string[], string> BadRegistries() => new()
    {
        { "lat without lon", ["""routes[1].stops[0] = {"id":"M01","lat":36.39}"""], "routes[1] (id R02).stops[0].lon: stop 'M01' has lat without lon (both or neither)" },
        { "lat out of range", ["""routes[1].stops[0] = {"id":"M01","lat":136.39,"lon":139.06}"""], "routes[1] (id R02).stops[0].lat: must be between -90 and 90, got 136.39" },
        { "lon out of range", ["""routes[1].stops[0] = {"id":"M01","lat":36.39,"lon":-239.06}"""], "routes[1] (id R02).stops[0].lon: must be between -180 and 180" },
        { "pattern stop not on the route", ["""routes[1].patterns = [{"id":"p","direction":0,"stops":["M01","X9"]}]"""], "routes[1] (id R02).patterns[0].stops[1]: stop 'X9' is not among the route's stops" },
        { "pattern direction 2", ["""routes[1].patterns = [{"id":"p","direction":2,"stops":["M01","M02"]}]"""], "routes[1] (id R02).patterns[0].direction: expected 0 or 1" },
        { "duplicate pattern id", ["""routes[1].patterns = [{"id":"p","direction":0,"stops":["M01","M02"]},{"id":"p","direction":1,"stops":["M02","M01"]}]"""], "routes[1] (id R02).patterns[1].id: duplicate pattern id 'p'" },
        { "table route without a table", ["""routes[1].kind = "table" """], "routes[1] (id R02).fareTable: missing" },
        { "table route of an unknown table", ["""routes[1] = {"id":"R02","kind":"table","fareTable":"nope","stops":[{"id":"M01","fareZone":"A"}]}"""], "routes[1] (id R02).fareTable: unknown fare table 'nope'" },
        { "table route stop without a fare zone", [Table, """routes[1] = {"id":"R02","kind":"table","fareTable":"t","stops":[{"id":"M01","fareZone":"A"},{"id":"M02"}]}"""], "routes[1] (id R02).stops[1].fareZone: stop 'M02' of a table route has no fare zone" },
        { "a ride without a fare", [Table, """routes[1] = {"id":"R02","kind":"table","fareTable":"t","stops":[{"id":"M01","fareZone":"A"},{"id":"M02","fareZone":"C"}]}"""], "routes[1] (id R02).stops: fare table 't' has no fare between zones 'A' and 'C' (stops 'M01' → 'M02')" },
        { "a pattern's ride without a fare", [Table, """routes[1] = {"id":"R02","kind":"table","fareTable":"t","stops":[{"id":"M01","fareZone":"B"},{"id":"M02","fareZone":"B"}],"patterns":[{"id":"p","direction":1,"stops":["M02","M01"]}]}"""], "routes[1] (id R02).patterns[0]: fare table 't' has no fare between zones 'B' and 'B'" },
        { "duplicate agency", ["""agencies = [{"id":"kanetsu","name":"関越交通"},{"id":"kanetsu","name":"日本中央バス"}]"""], "agencies[1] (id kanetsu).id: duplicate agency id 'kanetsu'" },
        { "route of an unknown agency", ["""routes[1].agency = "nobody" """], "routes[1] (id R02).agency: unknown agency 'nobody'" },
        { "duplicate fare table", ["""fareTables = [{"id":"t","fares":[{"from":"A","to":"A","fare":100}]},{"id":"t","fares":[{"from":"A","to":"A","fare":100}]}]"""], "fareTables[1] (id t).id: duplicate fare table id 't'" },
        { "fare table of an unknown agency", ["""fareTables = [{"id":"t","agency":"x","fares":[{"from":"A","to":"A","fare":100}]}]"""], "fareTables[0] (id t).agency: unknown agency 'x'" },
        { "negative fare", ["""fareTables = [{"id":"t","fares":[{"from":"A","to":"A","fare":-100}]}]"""], "fareTables[0] (id t).fares[0].fare: must be 0 or more, got -100" },
        { "duplicate vehicle", ["""vehicles = [{"id":"V0042","capacity":60},{"id":"V0042","capacity":70}]"""], "vehicles[1] (id V0042).id: duplicate vehicle id 'V0042'" },
        { "capacity 0", ["""vehicles = [{"id":"V0042","capacity":0}]"""], "vehicles[0] (id V0042).capacity: must be 1 or more, got 0" },
    };

    [Theory]
    [MemberData(nameof(BadRegistries))]
    public void Each_kind_of_problem_is_named_with_its_entry_and_field(string what, string[] edits, string expected)
    {
        JsonObject doc = RegistryTests.Sample();
        foreach (string edit in edits)
        {
            RegistryTests.Apply(doc, edit);
        }

        IReadOnlyList<RegistryProblem> problems = RegistryTests.Problems(doc);

        Assert.True(problems.Any(p => p.ToString().StartsWith(expected, StringComparison.Ordinal)),
            $"{what}: expected a problem starting '{expected}', got:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void A_registry_with_agencies_fare_tables_vehicles_positions_and_patterns_loads()
    {
        JsonObject doc = RegistryTests.Sample();
        RegistryTests.Apply(doc, """agencies = [{"id":"kanetsu","name":"関越交通","names":{"en":"Kan-etsu Kotsu"}}]""");
        RegistryTests.Apply(doc, """fareTables = [{"id":"kanetsu-fares","agency":"kanetsu","fares":[{"from":"A","to":"A","fare":170},{"from":"B","to":"A","fare":210},{"from":"B","to":"B","fare":170}]}]""");
        RegistryTests.Apply(doc, """vehicles = [{"id":"V0042","capacity":62,"label":"前橋 200 か 42"}]""");
        RegistryTests.Apply(doc, """
            routes[1] = {"id":"R02","kind":"table","agency":"kanetsu","fareTable":"kanetsu-fares","stops":[
              {"id":"M01","name":"前橋駅","lat":36.3834,"lon":139.0729,"code":"2","fareZone":"A","names":{"en":"Maebashi Station"}},
              {"id":"M02","name":"城東町","lat":36.389,"lon":139.079,"fareZone":"A"},
              {"id":"M03","name":"上小出町","lat":36.3965,"lon":139.08,"fareZone":"B"}],
             "patterns":[{"id":"R02-0-1","direction":0,"headsign":"上小出町","stops":["M01","M02","M03"]},
                         {"id":"R02-1-1","direction":1,"stops":["M03","M02","M01"]}]}
            """);

        CityRegistry registry = RegistryLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(doc.ToJsonString())), "test.json");

        Assert.Equal("kanetsu-fares", registry.FindRoute("R02")!.FareTable);
        Assert.Equal(210, OdFareTable.For(registry.FindFareTable("kanetsu-fares")!).Fare("A", "B")); // the B → A entry, either way
    }
}
