using System.Text.Json.Nodes;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// The sample registry with what the GTFS-Realtime feed and the console's route lines read (issue 16): its stops'
/// coordinates, each route's patterns (R01 both ways, the R02 loop one way) and its buses' vehicles, V0042 with a
/// capacity of <see cref="V0042Capacity"/> and V0043 with none.
/// </summary>
public static class TransitRegistry
{
    public const int V0042Capacity = 20;
    public const string V0042Label = "42号車";

    /// <summary>Stops of the sample's routes about where they are in Maebashi (WGS84).</summary>
    public static readonly IReadOnlyDictionary<string, (double Lat, double Lon)> Coordinates = new Dictionary<string, (double, double)>
    {
        ["S01"] = (36.3836, 139.0733),
        ["S02"] = (36.3884, 139.0689),
        ["S03"] = (36.3911, 139.0609),
        ["S04"] = (36.3946, 139.0706),
        ["S05"] = (36.3968, 139.0580),
        ["S06"] = (36.4031, 139.0631),
        ["S07"] = (36.4080, 139.0610),
        ["M01"] = (36.3946, 139.0706),
        ["M02"] = (36.3905, 139.0631),
        ["M03"] = (36.3836, 139.0733),
        ["M04"] = (36.3921, 139.0679),
    };

    /// <summary>Writes the sample registry at <paramref name="sample"/> so extended to <paramref name="path"/>.</summary>
    public static void Write(string sample, string path)
    {
        JsonObject doc = JsonNode.Parse(File.ReadAllText(sample))!.AsObject();
        foreach (JsonObject route in doc["routes"]!.AsArray().Select(r => r!.AsObject()))
        {
            var stops = new List<string>();
            foreach (JsonObject stop in route["stops"]!.AsArray().Select(s => s!.AsObject()))
            {
                string id = stop["id"]!.GetValue<string>();
                stops.Add(id);
                (double lat, double lon) = Coordinates[id];
                stop["lat"] = lat;
                stop["lon"] = lon;
            }

            string routeId = route["id"]!.GetValue<string>();
            var patterns = new JsonArray(Pattern(routeId + "-0", 0, stops));
            if (routeId == "R01")
            {
                patterns.Add(Pattern(routeId + "-1", 1, Enumerable.Reverse(stops)));
            }

            route["patterns"] = patterns;
        }

        doc["vehicles"] = new JsonArray(
            new JsonObject { ["id"] = "V0042", ["capacity"] = V0042Capacity, ["label"] = V0042Label },
            new JsonObject { ["id"] = "V0043" });
        File.WriteAllText(path, doc.ToJsonString());
    }

    private static JsonObject Pattern(string id, int direction, IEnumerable<string> stops) => new()
    {
        ["id"] = id,
        ["direction"] = direction,
        ["stops"] = new JsonArray([.. stops.Select(s => (JsonNode)JsonValue.Create(s))]),
    };
}
