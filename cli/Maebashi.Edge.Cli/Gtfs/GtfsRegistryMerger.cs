using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// Merges an imported feed into the registry file as JSON, so that everything else in the file (tariff, persons,
/// cards with their UIDs, devices, events, clinics, keys, vehicles, fields this program does not know) is carried
/// over as it was. The feed's agencies replace the registry's agencies of the same id, their routes and their fare
/// tables; routes and tables of other agencies, and hand-written routes, stay.
/// </summary>
public static class GtfsRegistryMerger
{
    public sealed record Counts(int RoutesReplaced, int RoutesKept);

    public static Counts Merge(JsonObject registry, ImportedFeed feed, GtfsProblems problems)
    {
        var agencies = feed.Agencies.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        int replaced = 0;

        JsonArray routes = ArrayOf(registry, "routes");
        var kept = new List<JsonNode?>();
        var imported = feed.Routes.ToDictionary(r => r.Id, StringComparer.Ordinal);
        for (int i = 0; i < routes.Count; i++)
        {
            JsonNode? node = routes[i];
            string? agency = Text(node, "agency");
            if (agency is not null && agencies.Contains(agency))
            {
                replaced++;
                continue;
            }

            if (Text(node, "id") is { } id && imported.TryGetValue(id, out RouteDef? clash))
            {
                GtfsRoute source = feed.Sources[id];
                problems.Add("routes.txt", source.Line, "route_id", agency is null
                    ? $"route_id '{id}' of agency '{clash.Agency}' is already the id of a route of no agency in the registry (routes[{i}])"
                    : $"route_id '{id}' is used by two agencies: '{clash.Agency}' (this feed) and '{agency}' (the registry's routes[{i}])");
            }

            kept.Add(node);
        }

        JsonArray tables = ArrayOf(registry, "fareTables");
        var keptTables = new List<JsonNode?>();
        var newTables = feed.FareTables.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < tables.Count; i++)
        {
            JsonNode? node = tables[i];
            string? agency = Text(node, "agency");
            if (agency is not null && agencies.Contains(agency))
            {
                continue;
            }

            if (Text(node, "id") is { } id && newTables.Contains(id))
            {
                problems.Add("fare_rules.txt", 0, "fare_id", $"fare table id '{id}' is already used by {(agency is null ? "a table of no agency" : $"agency '{agency}'")} in the registry (fareTables[{i}])");
            }

            keptTables.Add(node);
        }

        JsonArray agencyList = ArrayOf(registry, "agencies");
        List<JsonNode?> keptAgencies = [.. agencyList.Where(a => Text(a, "id") is not { } id || !agencies.Contains(id))];

        registry["agencies"] = Rebuild(keptAgencies, feed.Agencies.Select(a => JsonSerializer.SerializeToNode(a, ContractJsonContext.Default.AgencyDef)));
        registry["routes"] = Rebuild(kept, feed.Routes.Select(r => JsonSerializer.SerializeToNode(r, ContractJsonContext.Default.RouteDef)));
        registry["fareTables"] = Rebuild(keptTables, feed.FareTables.Select(t => JsonSerializer.SerializeToNode(t, ContractJsonContext.Default.FareTableDef)));
        return new Counts(replaced, kept.Count);
    }

    private static JsonArray ArrayOf(JsonObject registry, string name) => registry[name] as JsonArray ?? [];

    private static JsonArray Rebuild(List<JsonNode?> kept, IEnumerable<JsonNode?> added)
    {
        var array = new JsonArray();
        foreach (JsonNode? node in kept.Concat(added))
        {
            node?.Parent?.AsArray().Remove(node);
            array.Add(node);
        }

        return array;
    }

    private static string? Text(JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
