using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Emulation.Gps;

/// <summary>What the bus truly does at one second of the drive.</summary>
public readonly record struct DriveSecond(double East, double North, double SpeedMetresPerSecond, double Bearing, string? DwellingAt, bool InTunnel);

/// <summary>A stop the bus truly passed: where in the sequence, when it stopped and when it left.</summary>
public sealed record StopVisit(string Stop, int Second, int LeftSecond);

/// <summary>
/// The true drive of a bus along one or more route patterns, one second at a time: it dwells at each stop,
/// pulls away at 1 m/s², cruises, and brakes at 1 m/s² to the next stop, in straight lines between the
/// stops. A pattern that starts where the previous one ended (a terminus both directions share) continues
/// without a second stop there. The route's tunnel (300 m, no fix inside) lies in the middle of its longest
/// stretch between two stops, at least 100 m from each.
/// </summary>
public sealed class GpsDrive
{
    public const double TunnelLength = 300;
    public const double Acceleration = 1.0;

    /// <summary>The tunnel keeps this far from the stops at its ends, outside their geofences.</summary>
    public const double TunnelClearance = 100;

    private readonly List<DriveSecond> _seconds = [];
    private readonly List<StopVisit> _visits = [];

    private GpsDrive(LocalFrame frame) => Frame = frame;

    public LocalFrame Frame { get; }
    public IReadOnlyList<DriveSecond> Seconds => _seconds;

    /// <summary>The stops passed, in order, with the seconds the bus stopped at and left each.</summary>
    public IReadOnlyList<StopVisit> Visits => _visits;

    /// <summary>
    /// Drives <paramref name="patterns"/> of <paramref name="route"/> one after the other at <paramref name="cruise"/>
    /// metres per second, dwelling <paramref name="dwell"/>(stop index) seconds at each stop. The noise model has a
    /// tunnel on every route; <paramref name="tunnel"/> false leaves it out, for a route with no stretch long enough
    /// (a demo's short town route). <paramref name="acceleration"/> (m/s², <see cref="Acceleration"/> by default) lets a
    /// demo run its buses as a time-lapse: k times faster is k × the cruise and k² × the acceleration.
    /// </summary>
    public static GpsDrive Along(RouteDef route, IReadOnlyList<RoutePatternDef> patterns, double cruise, Func<int, int> dwell, bool tunnel = true, double acceleration = Acceleration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(acceleration);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(patterns);
        ArgumentNullException.ThrowIfNull(dwell);
        Dictionary<string, StopDef> stops = route.Stops.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var sequence = new List<string>();
        foreach (RoutePatternDef p in patterns)
        {
            foreach (string id in p.Stops)
            {
                if (sequence.Count == 0 || sequence[^1] != id)
                {
                    sequence.Add(id);
                }
            }
        }

        if (sequence.Count < 2)
        {
            throw new ArgumentException($"route {route.Id}: a drive needs at least two stops", nameof(patterns));
        }

        StopDef Stop(string id) => stops.TryGetValue(id, out StopDef? s) && s.Lat is not null && s.Lon is not null
            ? s
            : throw new ArgumentException($"route {route.Id}: stop {id} has no lat/lon to drive to", nameof(route));

        StopDef first = Stop(sequence[0]);
        var drive = new GpsDrive(new LocalFrame(first.Lat!.Value, first.Lon!.Value));
        List<(double E, double N)> points = [.. sequence.Select(id => drive.Frame.ToMetres(Stop(id).Lat!.Value, Stop(id).Lon!.Value))];
        (int tunnelLeg, double tunnelFrom) = tunnel ? PlaceTunnel(route.Id, points) : (-1, 0);
        (double E, double N) ta = default, tb = default;
        if (tunnelLeg >= 0)
        {
            // The tunnel is a place: the same stretch of road is a tunnel whichever way the bus drives it.
            (double E, double N) a = points[tunnelLeg], b = points[tunnelLeg + 1];
            double len = Distance(a, b);
            ta = Lerp(a, b, tunnelFrom / len);
            tb = Lerp(a, b, (tunnelFrom + TunnelLength) / len);
        }

        double bearing = Bearing(points[0], points[1]);
        for (int i = 0; i < points.Count; i++)
        {
            int arrived = drive._seconds.Count;
            int wait = Math.Max(1, dwell(i));
            for (int s = 0; s < wait; s++)
            {
                drive._seconds.Add(new DriveSecond(points[i].E, points[i].N, 0, bearing, sequence[i], false));
            }

            drive._visits.Add(new StopVisit(sequence[i], arrived, drive._seconds.Count));
            if (i + 1 == points.Count)
            {
                break;
            }

            (double E, double N) from = points[i], to = points[i + 1];
            bearing = Bearing(from, to);
            double length = Distance(from, to);
            foreach ((double along, double speed) in Profile(length, cruise, acceleration))
            {
                (double E, double N) at = Lerp(from, to, along / length);
                bool inTunnel = tunnelLeg >= 0 && OnSegment(at, ta, tb);
                drive._seconds.Add(new DriveSecond(at.E, at.N, speed, bearing, null, inTunnel));
            }
        }

        return drive;
    }

    /// <summary>Distances along a stretch, one a second, with the speed then: accelerate, cruise, brake (triangular when short).</summary>
    private static IEnumerable<(double Along, double Speed)> Profile(double length, double cruise, double acceleration)
    {
        double accelDistance = cruise * cruise / (2 * acceleration);
        double top = accelDistance * 2 <= length ? cruise : Math.Sqrt(length * acceleration);
        double tAccel = top / acceleration;
        double dAccel = top * top / (2 * acceleration);
        double tCruise = (length - 2 * dAccel) / top;
        double total = 2 * tAccel + tCruise;
        for (int t = 1; t < (int)Math.Ceiling(total); t++)
        {
            double along, speed;
            if (t <= tAccel)
            {
                along = acceleration * t * t / 2;
                speed = acceleration * t;
            }
            else if (t <= tAccel + tCruise)
            {
                along = dAccel + top * (t - tAccel);
                speed = top;
            }
            else
            {
                double r = total - t;
                along = length - acceleration * r * r / 2;
                speed = acceleration * r;
            }

            yield return (Math.Clamp(along, 0, length), speed);
        }
    }

    /// <summary>The leg holding the tunnel (the longest, which must leave the tunnel 100 m clear of both stops) and where it starts on it.</summary>
    private static (int Leg, double From) PlaceTunnel(string route, List<(double E, double N)> points)
    {
        int best = -1;
        double bestLength = 0;
        for (int i = 0; i + 1 < points.Count; i++)
        {
            double l = Distance(points[i], points[i + 1]);
            if (l > bestLength)
            {
                (best, bestLength) = (i, l);
            }
        }

        if (bestLength < TunnelLength + 2 * TunnelClearance)
        {
            throw new ArgumentException($"route {route}: its longest stretch between stops is {bestLength:0} m; the 300 m tunnel needs {TunnelLength + 2 * TunnelClearance:0} m");
        }

        return (best, (bestLength - TunnelLength) / 2);
    }

    private static bool OnSegment((double E, double N) p, (double E, double N) a, (double E, double N) b)
    {
        double len = Distance(a, b);
        double t = ((p.E - a.E) * (b.E - a.E) + (p.N - a.N) * (b.N - a.N)) / (len * len);
        return t >= 0 && t <= 1 && Distance(p, Lerp(a, b, t)) < 1;
    }

    internal static double Distance((double E, double N) a, (double E, double N) b) => Math.Sqrt((a.E - b.E) * (a.E - b.E) + (a.N - b.N) * (a.N - b.N));

    private static (double E, double N) Lerp((double E, double N) a, (double E, double N) b, double t) => (a.E + (b.E - a.E) * t, a.N + (b.N - a.N) * t);

    /// <summary>Degrees clockwise from north.</summary>
    private static double Bearing((double E, double N) a, (double E, double N) b) => (Math.Atan2(b.E - a.E, b.N - a.N) * 180 / Math.PI + 360) % 360;
}
