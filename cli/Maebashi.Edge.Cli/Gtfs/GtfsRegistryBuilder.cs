using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>The registry's part built from a feed: the agencies imported, their routes and their fare tables.</summary>
public sealed record ImportedFeed(List<AgencyDef> Agencies, List<RouteDef> Routes, List<FareTableDef> FareTables, Dictionary<string, GtfsRoute> Sources);

/// <summary>
/// Builds registry entries from a read feed (docs/contract.md §7): ids are the feed's route_id and stop_id unchanged;
/// a route's stops carry their coordinates, platform code, fare zone and translated names; its patterns are the stop
/// sequences its trips run.
/// </summary>
public static class GtfsRegistryBuilder
{
    /// <param name="only">The agencies to import (<c>--agency</c>); all of the feed's when empty.</param>
    public static ImportedFeed Build(GtfsFeed feed, IReadOnlyCollection<string> only, GtfsProblems problems, List<string> warnings)
    {
        foreach (string id in only.Where(id => !feed.Agencies.Exists(a => a.Id == id)))
        {
            problems.Add("agency.txt", 0, "agency_id", $"--agency {id}: no such agency in the feed (it has {string.Join(", ", feed.Agencies.Select(a => a.Id))})");
        }

        List<GtfsAgency> agencies = [.. feed.Agencies.Where(a => only.Count == 0 || only.Contains(a.Id))];
        var chosen = agencies.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        var tripsOf = feed.Trips.GroupBy(t => t.RouteId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var fares = new GtfsFareRules(feed, problems);

        var built = new List<(GtfsRoute Source, RouteDef Route, GtfsFareRules.RouteFare Fare)>();
        foreach (GtfsRoute source in feed.Routes.Where(r => chosen.Contains(r.AgencyId)))
        {
            if (!tripsOf.TryGetValue(source.Id, out List<GtfsTrip>? trips))
            {
                warnings.Add($"routes.txt line {source.Line}: 路線 {source.Id} に便がないため取り込みません / route {source.Id} has no trips in trips.txt: not imported");
                continue;
            }

            List<GtfsRoutePatterns.Pattern> patterns = GtfsRoutePatterns.Of(trips, problems);
            if (patterns.Count == 0 || fares.For(source) is not { } fare)
            {
                continue;
            }

            var route = new RouteDef
            {
                Id = source.Id,
                Agency = source.AgencyId,
                Name = source.Name,
                Names = feed.Translations.Names("routes", source.NameField, source.Id, source.Name),
                Kind = fare.Flat is not null ? RouteKinds.Flat : RouteKinds.Table,
                FlatFare = fare.Flat,
                Stops = [.. GtfsRoutePatterns.StopOrder(patterns).Select(id => Stop(feed, feed.Stops[id]))],
                Patterns = [.. patterns.Select((p, i) => new RoutePatternDef
                {
                    Id = $"{source.Id}-{p.Direction}-{patterns.Take(i).Count(q => q.Direction == p.Direction) + 1}",
                    Direction = p.Direction,
                    Headsign = p.Headsign ?? feed.Stops[p.Stops[^1]].Name,
                    Stops = [.. p.Stops],
                })],
            };
            built.Add((source, route, fare));
        }

        (List<FareTableDef> tables, Dictionary<string, string> tableOf) = GtfsFareRules.Tables(built.Select(b => (b.Source, b.Fare)));
        foreach ((GtfsRoute source, RouteDef route, _) in built.Where(b => b.Route.Kind == RouteKinds.Table))
        {
            route.FareTable = tableOf[route.Id];
            CheckTableRoute(source, route, tables.First(t => t.Id == route.FareTable), feed, problems);
        }

        List<AgencyDef> agencyDefs = [.. agencies.Select(a => new AgencyDef
        {
            Id = a.Id,
            Name = a.Name,
            Names = feed.Translations.Names("agency", "agency_name", a.Id, a.Name),
            OfficialName = a.OfficialName,
            Url = a.Url,
            Phone = a.Phone,
        })];
        return new ImportedFeed(agencyDefs, [.. built.Select(b => b.Route)], tables, built.ToDictionary(b => b.Route.Id, b => b.Source, StringComparer.Ordinal));
    }

    private static StopDef Stop(GtfsFeed feed, GtfsStop s) => new()
    {
        Id = s.Id,
        Name = s.Name,
        Lat = s.Lat,
        Lon = s.Lon,
        Code = s.PlatformCode,
        FareZone = s.ZoneId,
        Names = feed.Translations.Names("stops", "stop_name", s.Id, s.Name),
    };

    /// <summary>
    /// A table route's stops each have a zone, and every ride its patterns allow has a fare: said here against the
    /// feed's files, before the registry's validator would say it against the output.
    /// </summary>
    private static void CheckTableRoute(GtfsRoute source, RouteDef route, FareTableDef table, GtfsFeed feed, GtfsProblems problems)
    {
        bool zoned = true;
        foreach (StopDef stop in route.Stops.Where(s => s.FareZone is null))
        {
            problems.Add("stops.txt", feed.Stops[stop.Id].Line, "zone_id", $"stop '{stop.Id}' is on route '{route.Id}', whose fares go by zone, but has no zone_id");
            zoned = false;
        }

        if (!zoned)
        {
            return;
        }

        OdFareTable fares = OdFareTable.For(table);
        var zoneOf = route.Stops.ToDictionary(s => s.Id, s => s.FareZone!, StringComparer.Ordinal);
        var reported = new HashSet<(string, string)>();
        foreach (RoutePatternDef p in route.Patterns!)
        {
            for (int a = 0; a < p.Stops.Count; a++)
            {
                for (int b = a + 1; b < p.Stops.Count; b++)
                {
                    string from = zoneOf[p.Stops[a]];
                    string to = zoneOf[p.Stops[b]];
                    if (fares.Fare(from, to) is null && reported.Add(string.CompareOrdinal(from, to) <= 0 ? (from, to) : (to, from)))
                    {
                        problems.Add("routes.txt", source.Line, "route_id",
                            $"route '{route.Id}' runs from stop '{p.Stops[a]}' (zone '{from}') to stop '{p.Stops[b]}' (zone '{to}'), but fare_rules.txt has no fare between the two zones");
                    }
                }
            }
        }
    }
}
