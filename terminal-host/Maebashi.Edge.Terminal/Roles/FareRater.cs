using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// The provisional adult fare shown on alighting (docs/contract.md §3): flat routes the flat fare; zonal
/// routes <c>min(maxFare, baseFare + zoneFare × |Δzone|)</c>; table routes the fare between the stops' fare
/// zones in the route's fare table (from the bus cfg's <c>fareTables</c>). The ingest applies category, transfer
/// and daily cap; the display shows what the route alone charges.
/// </summary>
public static class FareRater
{
    /// <param name="fareTables">The bus cfg's fare tables; only routes of kind <c>table</c> use them.</param>
    public static long? Fare(RouteDef route, IReadOnlyList<FareTableDef>? fareTables, string boardStop, string alightStop)
    {
        if (route.Kind == RouteKinds.Flat)
        {
            return route.FlatFare;
        }

        if (route.Kind == RouteKinds.Table)
        {
            return OdFareTable.Find(fareTables, route.FareTable) is { } table
                ? OdFareTable.For(table).Fare(FareZone(route, boardStop), FareZone(route, alightStop))
                : null;
        }

        int? a = Zone(route, boardStop);
        int? b = Zone(route, alightStop);
        if (a is null || b is null || route.BaseFare is not { } baseFare || route.ZoneFare is not { } zoneFare)
        {
            return null;
        }

        long fare = baseFare + zoneFare * Math.Abs(b.Value - a.Value);
        return route.MaxFare is { } max ? Math.Min(max, fare) : fare;
    }

    /// <summary>An alight with no boarding known: the highest fare from any stop of the route to this one.</summary>
    public static long? HighestFareTo(RouteDef route, IReadOnlyList<FareTableDef>? fareTables, string alightStop)
    {
        if (route.Kind == RouteKinds.Flat)
        {
            return route.FlatFare;
        }

        long? best = null;
        foreach (StopDef s in route.Stops)
        {
            if (Fare(route, fareTables, s.Id, alightStop) is { } f && (best is null || f > best))
            {
                best = f;
            }
        }

        return best;
    }

    private static int? Zone(RouteDef route, string stop) => route.Stops.FirstOrDefault(s => s.Id == stop)?.Zone;

    private static string? FareZone(RouteDef route, string stop) => route.Stops.FirstOrDefault(s => s.Id == stop)?.FareZone;
}
