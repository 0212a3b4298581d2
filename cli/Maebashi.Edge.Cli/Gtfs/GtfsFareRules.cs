using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// Turns fare_attributes + fare_rules into the registry's fares: a route whose fare rules have no origin or
/// destination is kind <c>flat</c>; a route whose rules go from zone to zone is kind <c>table</c> and reads an
/// origin–destination table of its agency. Routes of one agency whose fares agree share a table (a fare scheme);
/// where two routes price the same pair differently, the second starts another.
/// </summary>
public sealed class GtfsFareRules
{
    /// <summary>A route's fare: a flat fare, or its origin–destination fares (zone pair → yen).</summary>
    public sealed record RouteFare(long? Flat, Dictionary<(string From, string To), long>? Od);

    private readonly GtfsFeed _feed;
    private readonly GtfsProblems _problems;
    private readonly Dictionary<string, List<GtfsFareRule>> _byRoute = new(StringComparer.Ordinal);
    private readonly List<GtfsFareRule> _everyRoute = [];

    public GtfsFareRules(GtfsFeed feed, GtfsProblems problems)
    {
        _feed = feed;
        _problems = problems;
        foreach (GtfsFareRule rule in feed.FareRules)
        {
            if (rule.RouteId is null)
            {
                _everyRoute.Add(rule);
            }
            else
            {
                (_byRoute.TryGetValue(rule.RouteId, out List<GtfsFareRule>? list) ? list : _byRoute[rule.RouteId] = []).Add(rule);
            }
        }
    }

    /// <summary>The route's fare; null (with a problem) when the feed gives none, or none that is one fare.</summary>
    public RouteFare? For(GtfsRoute route)
    {
        List<GtfsFareRule> rules = [.. _byRoute.GetValueOrDefault(route.Id) ?? [], .. _everyRoute.Where(r => AppliesTo(r.FareId, route.AgencyId))];
        if (rules.Count == 0)
        {
            // GTFS: an agency with one fare and no fare rules charges that fare on every route.
            List<GtfsFare> fares = [.. _feed.Fares.Values.Where(f => AppliesTo(f.Id, route.AgencyId))];
            bool ruled = _feed.FareRules.Exists(r => fares.Exists(f => f.Id == r.FareId));
            if (fares.Count == 1 && !ruled)
            {
                return new RouteFare(fares[0].Price, null);
            }

            _problems.Add("routes.txt", route.Line, "route_id", $"route '{route.Id}' has no fare: no row of fare_rules.txt applies to it");
            return null;
        }

        if (rules.TrueForAll(r => r.OriginId is null))
        {
            List<long> prices = [.. rules.Select(r => _feed.Fares[r.FareId].Price).Distinct()];
            if (prices.Count == 1)
            {
                return new RouteFare(prices[0], null);
            }

            GtfsFareRule second = rules.First(r => _feed.Fares[r.FareId].Price != prices[0]);
            _problems.Add("fare_rules.txt", second.Line, "fare_id", $"route '{route.Id}' has more than one flat fare ({prices[0]} and {prices[1]} yen)");
            return null;
        }

        if (rules.Find(r => r.OriginId is null) is { } plain)
        {
            _problems.Add("fare_rules.txt", plain.Line, "origin_id", $"route '{route.Id}' mixes a fare without origin_id and destination_id with fares from zone to zone");
            return null;
        }

        var od = new Dictionary<(string, string), long>();
        var lineOf = new Dictionary<(string, string), int>();
        bool ok = true;
        foreach (GtfsFareRule r in rules)
        {
            long price = _feed.Fares[r.FareId].Price;
            (string, string) pair = (r.OriginId!, r.DestinationId!);
            if (od.TryGetValue(pair, out long other) && other != price)
            {
                _problems.Add("fare_rules.txt", r.Line, "fare_id", $"route '{route.Id}' has two fares from zone '{r.OriginId}' to zone '{r.DestinationId}': {other} yen (line {lineOf[pair]}) and {price} yen");
                ok = false;
                continue;
            }

            od[pair] = price;
            lineOf.TryAdd(pair, r.Line);
        }

        return ok ? new RouteFare(null, od) : null;
    }

    /// <summary>
    /// The fare tables of the routes of kind table, one per agency and scheme, and which table each route reads.
    /// Ids: the agency id and <c>-fares</c>, then <c>-fares-2</c>… for further schemes.
    /// </summary>
    public static (List<FareTableDef> Tables, Dictionary<string, string> TableOfRoute) Tables(IEnumerable<(GtfsRoute Route, RouteFare Fare)> routes)
    {
        var tables = new List<FareTableDef>();
        var tableOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var agency in routes.Where(r => r.Fare.Od is not null).GroupBy(r => r.Route.AgencyId, StringComparer.Ordinal))
        {
            var schemes = new List<Dictionary<(string, string), long>>();
            var members = new List<List<string>>();
            foreach ((GtfsRoute route, RouteFare fare) in agency.OrderBy(r => r.Route.Id, StringComparer.Ordinal))
            {
                int i = schemes.FindIndex(s => fare.Od!.All(kv => !s.TryGetValue(kv.Key, out long p) || p == kv.Value));
                if (i < 0)
                {
                    schemes.Add([]);
                    members.Add([]);
                    i = schemes.Count - 1;
                }

                foreach ((var pair, long price) in fare.Od!)
                {
                    schemes[i][pair] = price;
                }

                members[i].Add(route.Id);
            }

            for (int i = 0; i < schemes.Count; i++)
            {
                string id = i == 0 ? $"{agency.Key}-fares" : $"{agency.Key}-fares-{i + 1}";
                tables.Add(new FareTableDef
                {
                    Id = id,
                    Agency = agency.Key,
                    Fares = [.. schemes[i].OrderBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
                        .Select(kv => new OdFareDef { From = kv.Key.Item1, To = kv.Key.Item2, Fare = kv.Value })],
                });
                foreach (string route in members[i])
                {
                    tableOf[route] = id;
                }
            }
        }

        return (tables, tableOf);
    }

    /// <summary>A fare without agency_id belongs to every agency of the feed.</summary>
    private bool AppliesTo(string fareId, string agencyId) =>
        _feed.Fares.TryGetValue(fareId, out GtfsFare? fare) && (fare.AgencyId is null || fare.AgencyId == agencyId);
}
