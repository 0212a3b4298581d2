using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// The provisional adult fare shown on alighting (docs/contract.md §3): flat routes the flat fare; zonal
/// routes <c>min(maxFare, baseFare + zoneFare × |Δzone|)</c>. The ingest applies category, transfer
/// and daily cap; the display shows what the route alone charges.
/// </summary>
public static class FareRater
{
    public static long? Fare(RouteDef route, string boardStop, string alightStop)
    {
        if (route.Kind == RouteKinds.Flat)
        {
            return route.FlatFare;
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
    public static long? HighestFareTo(RouteDef route, string alightStop)
    {
        long? best = null;
        foreach (StopDef s in route.Stops)
        {
            if (Fare(route, s.Id, alightStop) is { } f && (best is null || f > best))
            {
                best = f;
            }
        }

        return route.Kind == RouteKinds.Flat ? route.FlatFare : best;
    }

    private static int? Zone(RouteDef route, string stop) => route.Stops.FirstOrDefault(s => s.Id == stop)?.Zone;
}
