using System.Globalization;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Emulation.Gps;

/// <summary>A replayed route: the route (stops with coordinates, both patterns) and how its bus drives it.</summary>
public sealed record ReplayRoute(RouteDef Route, double Cruise, int Seed)
{
    /// <summary>Out along direction 0 and back along direction 1, dwelling 15–40 s at each stop (drawn from the seed).</summary>
    public GpsDrive ThereAndBack()
    {
        var random = new Random(Seed);
        return GpsDrive.Along(Route, Route.Patterns!, Cruise, _ => random.Next(15, 41));
    }
}

/// <summary>
/// Routes for replays, made from a seed around Maebashi station: stops 150–500 m apart along a winding road
/// (and every pair of stops at least 150 m apart), one stretch of 600 m for the tunnel, direction 0 out and
/// direction 1 back through the same stops.
/// </summary>
public static class ReplayRoutes
{
    public const double MinStopSpacing = 150;

    private static readonly LocalFrame Maebashi = new(36.3833, 139.0733);

    public static ReplayRoute Generate(string id, int seed, int stops = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stops, 3);
        var random = new Random(seed);
        for (int attempt = 0; ; attempt++)
        {
            if (TryLayOut(random, stops, out List<(double E, double N)> points))
            {
                double shift = random.Next(-3000, 3000);
                var route = new RouteDef
                {
                    Id = id,
                    Name = "Replay " + id,
                    Kind = RouteKinds.Flat,
                    FlatFare = 180,
                    Stops = [.. points.Select((p, i) =>
                    {
                        (double lat, double lon) = Maebashi.ToWgs84(p.E + shift, p.N - shift);
                        return new StopDef { Id = StopId(id, i), Name = "Stop " + (i + 1).ToString(CultureInfo.InvariantCulture), Lat = lat, Lon = lon };
                    })],
                };
                List<string> ids = [.. route.Stops.Select(s => s.Id)];
                route.Patterns =
                [
                    new RoutePatternDef { Id = id + "-0", Direction = 0, Headsign = route.Stops[^1].Name, Stops = ids },
                    new RoutePatternDef { Id = id + "-1", Direction = 1, Headsign = route.Stops[0].Name, Stops = [.. Enumerable.Reverse(ids)] },
                ];
                return new ReplayRoute(route, 8 + random.NextDouble() * 3, random.Next());
            }

            if (attempt > 1000)
            {
                throw new InvalidOperationException($"route {id}: no layout with stops {MinStopSpacing} m apart after 1000 attempts");
            }
        }
    }

    public static string StopId(string route, int index) => string.Create(CultureInfo.InvariantCulture, $"{route}-S{index + 1:00}");

    private static bool TryLayOut(Random random, int stops, out List<(double E, double N)> points)
    {
        points = [(0, 0)];
        double heading = random.NextDouble() * 2 * Math.PI;
        int tunnelLeg = random.Next(stops - 1);
        for (int i = 1; i < stops; i++)
        {
            heading += (random.NextDouble() - 0.5) * Math.PI / 2.25;
            double spacing = i - 1 == tunnelLeg ? 600 : MinStopSpacing + random.NextDouble() * 350;
            (double e, double n) = points[^1];
            points.Add((e + spacing * Math.Sin(heading), n + spacing * Math.Cos(heading)));
        }

        for (int i = 0; i < points.Count; i++)
        {
            for (int j = i + 1; j < points.Count; j++)
            {
                if (GpsDrive.Distance(points[i], points[j]) < MinStopSpacing)
                {
                    return false;
                }
            }
        }

        return true;
    }
}
