using System.Globalization;

namespace Maebashi.Edge.Contract.Registry;

// The transit network of the registry (docs/contract.md §7): agencies, origin–destination fare tables, vehicles, and
// routes with their stops, positions and patterns — what a GTFS-JP import writes.
public static partial class RegistryValidator
{
    /// <summary>Agencies, fare tables and vehicles first, then the routes that name them.</summary>
    private static void ValidateTransit(RegistryDocument doc, Action<string, string, string> add)
    {
        // agencies, fare tables and vehicles (docs/contract.md §7), before the routes that name them
        var agencies = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Agencies, "agencies", (a, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(a.Id))
            {
                add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {a.Id})";
            if (!agencies.Add(a.Id))
            {
                add(named, "id", $"duplicate agency id '{a.Id}'");
            }

            if (string.IsNullOrWhiteSpace(a.Name))
            {
                add(named, "name", "missing");
            }
        });

        var fareTables = new Dictionary<string, OdFareTable>(StringComparer.Ordinal);
        ForEach(doc.FareTables, "fareTables", (t, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(t.Id))
            {
                add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {t.Id})";
            if (!fareTables.TryAdd(t.Id, OdFareTable.For(t)))
            {
                add(named, "id", $"duplicate fare table id '{t.Id}'");
            }

            if (t.Agency is not null && !agencies.Contains(t.Agency))
            {
                add(named, "agency", $"unknown agency '{t.Agency}'");
            }

            if (t.Fares is null || t.Fares.Count == 0)
            {
                add(named, "fares", "a fare table needs at least one fare");
                return;
            }

            var pairs = new HashSet<(string, string)>();
            for (int i = 0; i < t.Fares.Count; i++)
            {
                OdFareDef f = t.Fares[i];
                string field = $"fares[{i}]";
                if (string.IsNullOrWhiteSpace(f.From) || string.IsNullOrWhiteSpace(f.To))
                {
                    add(named, field + (string.IsNullOrWhiteSpace(f.From) ? ".from" : ".to"), "missing");
                    continue;
                }

                if (!pairs.Add((f.From, f.To)))
                {
                    add(named, field, $"duplicate fare from '{f.From}' to '{f.To}'");
                }

                CheckNonNegative(f.Fare, named, field + ".fare", add);
            }
        });

        var vehicles = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Vehicles, "vehicles", (v, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(v.Id))
            {
                add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {v.Id})";
            if (!vehicles.Add(v.Id))
            {
                add(named, "id", $"duplicate vehicle id '{v.Id}'");
            }

            if (v.Capacity < 1)
            {
                add(named, "capacity", $"must be 1 or more, got {v.Capacity}");
            }
        });

        // routes
        var routes = new HashSet<string>(StringComparer.Ordinal);
        ForEach(doc.Routes, "routes", (r, entry, index) =>
        {
            if (string.IsNullOrWhiteSpace(r.Id))
            {
                add(entry, "id", "missing");
                return;
            }

            string named = $"{entry} (id {r.Id})";
            if (!routes.Add(r.Id))
            {
                add(named, "id", $"duplicate route id '{r.Id}'");
            }

            switch (r.Kind)
            {
                case RouteKinds.Flat:
                    if (r.FlatFare is null)
                    {
                        add(named, "flatFare", "missing (a flat route needs flatFare)");
                    }

                    CheckNonNegative(r.FlatFare, named, "flatFare", add);
                    break;
                case RouteKinds.Zonal:
                    foreach ((string field, long? v) in new[] { ("baseFare", r.BaseFare), ("zoneFare", r.ZoneFare), ("maxFare", r.MaxFare) })
                    {
                        if (v is null)
                        {
                            add(named, field, "missing (a zonal route needs baseFare, zoneFare and maxFare)");
                        }

                        CheckNonNegative(v, named, field, add);
                    }

                    break;
                case RouteKinds.Table:
                    if (string.IsNullOrEmpty(r.FareTable))
                    {
                        add(named, "fareTable", "missing (a table route names its fare table)");
                    }
                    else if (!fareTables.ContainsKey(r.FareTable))
                    {
                        add(named, "fareTable", $"unknown fare table '{r.FareTable}'");
                    }

                    break;
                default:
                    add(named, "kind", $"unknown route kind '{r.Kind}' (expected flat, zonal or table)");
                    break;
            }

            if (r.Agency is not null && !agencies.Contains(r.Agency))
            {
                add(named, "agency", $"unknown agency '{r.Agency}'");
            }

            CheckNonNegative(r.TransferDiscount, named, "transferDiscount", add);
            if (r.Stops is null || r.Stops.Count == 0)
            {
                add(named, "stops", "a route needs at least one stop");
                return;
            }

            var stopIds = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < r.Stops.Count; i++)
            {
                StopDef s = r.Stops[i];
                string stopField = $"stops[{i}]";
                if (string.IsNullOrWhiteSpace(s.Id))
                {
                    add(named, stopField + ".id", "missing");
                }
                else if (!stopIds.Add(s.Id))
                {
                    add(named, stopField + ".id", $"duplicate stop id '{s.Id}'");
                }

                if (r.Kind == RouteKinds.Zonal)
                {
                    if (s.Zone is null)
                    {
                        add(named, stopField + ".zone", $"stop '{s.Id}' of a zonal route has no zone");
                    }
                    else if (s.Zone < 1)
                    {
                        add(named, stopField + ".zone", $"zone must be 1 or more, got {s.Zone}");
                    }
                }

                if (r.Kind == RouteKinds.Table && string.IsNullOrWhiteSpace(s.FareZone))
                {
                    add(named, stopField + ".fareZone", $"stop '{s.Id}' of a table route has no fare zone");
                }

                CheckPosition(s, named, stopField, add);
            }

            CheckPatterns(r, named, stopIds, add);
            if (r.Kind == RouteKinds.Table && r.FareTable is not null && fareTables.TryGetValue(r.FareTable, out OdFareTable? table))
            {
                CheckFaresCovered(r, table, named, add);
            }
        });
    }

    /// <summary>WGS84 decimal degrees, both or neither: a stop with half a position cannot be found by the GPS.</summary>
    private static void CheckPosition(StopDef s, string entry, string stopField, Action<string, string, string> add)
    {
        if (s.Lat is null != s.Lon is null)
        {
            add(entry, stopField + (s.Lat is null ? ".lat" : ".lon"), $"stop '{s.Id}' has {(s.Lat is null ? "lon" : "lat")} without {(s.Lat is null ? "lat" : "lon")} (both or neither)");
        }

        if (s.Lat is { } lat && !(lat >= -90 && lat <= 90))
        {
            add(entry, stopField + ".lat", $"must be between -90 and 90, got {lat.ToString(CultureInfo.InvariantCulture)}");
        }

        if (s.Lon is { } lon && !(lon >= -180 && lon <= 180))
        {
            add(entry, stopField + ".lon", $"must be between -180 and 180, got {lon.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static void CheckPatterns(RouteDef r, string entry, HashSet<string> stopIds, Action<string, string, string> add)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < (r.Patterns?.Count ?? 0); i++)
        {
            RoutePatternDef p = r.Patterns![i];
            string field = $"patterns[{i}]";
            if (string.IsNullOrWhiteSpace(p.Id))
            {
                add(entry, field + ".id", "missing");
            }
            else if (!ids.Add(p.Id))
            {
                add(entry, field + ".id", $"duplicate pattern id '{p.Id}'");
            }

            if (p.Direction is not (0 or 1))
            {
                add(entry, field + ".direction", $"expected 0 or 1 (GTFS direction_id), got {p.Direction}");
            }

            if (p.Stops is null || p.Stops.Count < 2)
            {
                add(entry, field + ".stops", "a pattern needs at least two stops");
                continue;
            }

            for (int k = 0; k < p.Stops.Count; k++)
            {
                if (!stopIds.Contains(p.Stops[k]))
                {
                    add(entry, $"{field}.stops[{k}]", $"stop '{p.Stops[k]}' is not among the route's stops");
                }
            }
        }
    }

    /// <summary>
    /// Kind <c>table</c>: every ride a pattern allows (board at a stop, alight at a later one) has a fare, in either
    /// direction of the table; a route without patterns is one pattern of its stops in order. A gap would leave a
    /// passenger with no fare to charge.
    /// </summary>
    private static void CheckFaresCovered(RouteDef r, OdFareTable table, string entry, Action<string, string, string> add)
    {
        var zoneOf = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (StopDef s in r.Stops)
        {
            zoneOf.TryAdd(s.Id, s.FareZone);
        }

        var reported = new HashSet<(string, string)>();
        IEnumerable<(string Field, List<string> Stops)> patterns = r.Patterns is { Count: > 0 } ps
            ? ps.Select((p, i) => ($"patterns[{i}]", p.Stops ?? []))
            : [("stops", r.Stops.Select(s => s.Id).ToList())];
        foreach ((string field, List<string> stops) in patterns)
        {
            for (int a = 0; a < stops.Count; a++)
            {
                for (int b = a + 1; b < stops.Count; b++)
                {
                    if (zoneOf.GetValueOrDefault(stops[a]) is not { } from || zoneOf.GetValueOrDefault(stops[b]) is not { } to)
                    {
                        continue; // reported with the stop
                    }

                    if (table.Fare(from, to) is null && reported.Add(string.CompareOrdinal(from, to) <= 0 ? (from, to) : (to, from)))
                    {
                        add(entry, field, $"fare table '{table.Id}' has no fare between zones '{from}' and '{to}' (stops '{stops[a]}' → '{stops[b]}')");
                    }
                }
            }
        }
    }
}
