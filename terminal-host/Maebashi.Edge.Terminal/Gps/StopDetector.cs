using Maebashi.Edge.Contract.Geography;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Terminal.Gps;

/// <summary>How the detector came to know a stop was passed.</summary>
public enum PassedBy
{
    /// <summary>The bus was seen inside the stop's geofence.</summary>
    Geofence,

    /// <summary>Dead reckoning by sequence: no fix near it (a tunnel, a dropout), but the bus reached a later stop of its pattern.</summary>
    Sequence,
}

/// <summary>A stop the bus passed.</summary>
public sealed record StopPassage(string? Route, string Stop, DateTimeOffset At, PassedBy By);

/// <summary>
/// Stop detection by geofence along the route pattern's stops (docs/gps.md). Pure logic on fixes: no clock, no
/// I/O. The rules:
/// <list type="bullet">
/// <item>Arrival: <see cref="ArrivalFixes"/> of the last <see cref="ArrivalWindow"/> fixes within
/// <see cref="ArrivalRadius"/> of a stop that can come next. Departure: <see cref="DepartureFixes"/> fixes in a row
/// beyond <see cref="DepartureRadius"/> (hysteresis: a wider circle to leave than to enter), or arrival at the next stop.</item>
/// <item>Jitter: one or two stray fixes neither arrive nor leave; fixes more than <see cref="Gap"/> apart never count together.</item>
/// <item>Only stops that can come next are candidates: the next <see cref="Lookahead"/> stops of each pattern the bus may be
/// running. Two candidates in range at once (stops close together): the nearer in sequence wins, then the nearer in metres.</item>
/// <item>Dead reckoning by sequence: arriving at a stop further along (after a tunnel or a dropout) passes the stops
/// between, in order.</item>
/// <item>Pattern and direction: every pattern (of the driver's route, or of all routes while none is set) that holds the
/// stops passed, in order, stays a candidate; once one is left, or all left share a direction, that is the bus's. At the
/// last stop of a pattern the bus may turn: the route's patterns start again from there.</item>
/// </list>
/// </summary>
public sealed class StopDetector
{
    public const double ArrivalRadius = 50;
    public const int ArrivalFixes = 3;
    public const int ArrivalWindow = 4;
    public const double DepartureRadius = 80;
    public const int DepartureFixes = 3;

    /// <summary>Stops further along than the next one that an arrival may jump to (the ones between passed by sequence).</summary>
    public const int Lookahead = 4;

    /// <summary>Within this of the next stop the bus is <see cref="VehicleStopStatuses.IncomingAt"/> it.</summary>
    public const double IncomingRadius = 150;

    /// <summary>Fixes further apart than this do not count together towards an arrival.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromSeconds(3);

    private sealed record Pattern(string Route, string Id, int Direction, string[] Stops);

    /// <summary>A pattern the bus may be running, and the index of the last of its stops passed (-1: none yet).</summary>
    private readonly record struct Hypothesis(Pattern Pattern, int Last);

    private readonly List<Pattern> _patterns = [];
    private readonly Dictionary<string, (double Lat, double Lon)> _coordinates = new(StringComparer.Ordinal);
    private readonly Queue<GpsFix> _window = new();
    private List<Hypothesis> _hypotheses = [];
    private string? _routeFilter;
    private string? _lastRoute;
    private int _outside;
    private DateTimeOffset _lastFixAt;
    private string? _terminus;
    private int? _terminusDirection;

    public StopDetector(IEnumerable<RouteDef>? routes = null) => SetRoutes(routes ?? []);

    /// <summary>The stop the bus is at (inside its geofence, not yet departed).</summary>
    public string? AtStop { get; private set; }

    /// <summary>The last stop passed (equal to <see cref="AtStop"/> while there).</summary>
    public string? LastStop { get; private set; }

    /// <summary>The route the bus runs, when the driver set it or the stops passed tell.</summary>
    public string? Route => _routeFilter ?? Single(h => h.Pattern.Route) ?? _lastRoute;

    /// <summary>The pattern the bus runs, once the stops passed leave one.</summary>
    public string? PatternId => Single(h => h.Pattern.Id);

    /// <summary>
    /// GTFS <c>direction_id</c>, once the patterns left agree on it; standing at the terminus, the direction of the trip
    /// that ended there (which way the bus turns shows at the next stop).
    /// </summary>
    public int? Direction => _hypotheses.Count > 0 && _hypotheses.All(h => h.Pattern.Direction == _hypotheses[0].Pattern.Direction)
        ? _hypotheses[0].Pattern.Direction
        : AtStop is not null && AtStop == _terminus ? _terminusDirection : null;

    /// <summary>The next stop, once the patterns left agree on it.</summary>
    public string? NextStop => Single(h => h.Last + 1 < h.Pattern.Stops.Length ? h.Pattern.Stops[h.Last + 1] : null);

    /// <summary>
    /// The routes with their stops and patterns (the bus's cfg). A route without patterns runs its stops in order as
    /// direction 0 and in reverse as direction 1. Forgets where the bus was.
    /// </summary>
    public void SetRoutes(IEnumerable<RouteDef> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _patterns.Clear();
        _coordinates.Clear();
        foreach (RouteDef r in routes)
        {
            foreach (StopDef s in r.Stops)
            {
                if (s.Lat is { } lat && s.Lon is { } lon)
                {
                    _coordinates.TryAdd(s.Id, (lat, lon));
                }
            }

            if (r.Patterns is { Count: > 0 } patterns)
            {
                _patterns.AddRange(patterns.Where(p => p.Stops.Count > 0).Select(p => new Pattern(r.Id, p.Id, p.Direction, [.. p.Stops])));
            }
            else if (r.Stops.Count > 0)
            {
                string[] stops = [.. r.Stops.Select(s => s.Id)];
                _patterns.Add(new Pattern(r.Id, r.Id + ":0", 0, stops));
                _patterns.Add(new Pattern(r.Id, r.Id + ":1", 1, [.. stops.Reverse()]));
            }
        }

        Reset();
    }

    /// <summary>Forgets the run: route, stops and patterns (the end of a run).</summary>
    public void Reset()
    {
        _routeFilter = null;
        _lastRoute = null;
        _hypotheses = [];
        _window.Clear();
        AtStop = null;
        LastStop = null;
        _outside = 0;
        _terminus = null;
    }

    /// <summary>
    /// The driver's word: a route restricts the patterns to it; a stop puts the bus there, and the detector goes on
    /// along the patterns from that stop.
    /// </summary>
    public void Resync(string? route, string? stop)
    {
        if (route is not null)
        {
            // The patterns of that route the bus may be running stay; none left: anywhere on it.
            _routeFilter = route;
            _hypotheses.RemoveAll(h => h.Pattern.Route != route);
        }

        if (stop is not null)
        {
            // Ahead on the patterns the bus was running (the same direction), else on any pattern through the stop.
            List<Hypothesis> ahead = [.. _hypotheses
                .Select(h => h with { Last = Array.IndexOf(h.Pattern.Stops, stop, h.Last + 1) })
                .Where(h => h.Last >= 0)];
            _hypotheses = ahead.Count > 0
                ? ahead
                : [.. Active().Where(p => Array.IndexOf(p.Stops, stop) >= 0).Select(p => new Hypothesis(p, Array.IndexOf(p.Stops, stop)))];
            AtStop = stop;
            LastStop = stop;
            _outside = 0;
            _window.Clear();
        }
    }

    /// <summary>Takes one report of the receiver; returns the stops it passed (in order), if any.</summary>
    public IReadOnlyList<StopPassage> Feed(GpsFix fix)
    {
        if (!fix.HasFix)
        {
            _window.Clear();
            return [];
        }

        if (_window.Count > 0 && fix.At - _lastFixAt > Gap)
        {
            _window.Clear();
        }

        _lastFixAt = fix.At;
        _window.Enqueue(fix);
        while (_window.Count > ArrivalWindow)
        {
            _window.Dequeue();
        }

        if (AtStop is { } at && _coordinates.TryGetValue(at, out var here))
        {
            _outside = Geo.Metres(fix.Lat, fix.Lon, here.Lat, here.Lon) > DepartureRadius ? _outside + 1 : 0;
            if (_outside >= DepartureFixes)
            {
                AtStop = null;
                _outside = 0;
            }
        }

        return Arrival() is { } stop ? Arrive(stop, fix.At) : [];
    }

    /// <summary>Whether the bus is at, incoming at or in transit to a stop, and which (for the position in <c>status</c>).</summary>
    public (string? Stop, string? Status) StopStatus(GpsFix fix)
    {
        if (AtStop is { } at)
        {
            return (at, VehicleStopStatuses.StoppedAt);
        }

        if (NextStop is not { } next)
        {
            return (null, null);
        }

        return fix.HasFix && _coordinates.TryGetValue(next, out var c) && Geo.Metres(fix.Lat, fix.Lon, c.Lat, c.Lon) <= IncomingRadius
            ? (next, VehicleStopStatuses.IncomingAt)
            : (next, VehicleStopStatuses.InTransitTo);
    }

    private IEnumerable<Pattern> Active() => _routeFilter is null ? _patterns : _patterns.Where(p => p.Route == _routeFilter);

    /// <summary>The stops that can come next, each with how many stops of its pattern the bus would skip to get there.</summary>
    private Dictionary<string, int> Candidates()
    {
        var candidates = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string stop, int skip)
        {
            if (stop != AtStop && _coordinates.ContainsKey(stop) && (!candidates.TryGetValue(stop, out int had) || skip < had))
            {
                candidates[stop] = skip;
            }
        }

        if (_hypotheses.Count == 0)
        {
            // Nothing known yet (a start mid-route, a lost run): any stop; one nearer its pattern's start first.
            foreach (Pattern p in Active())
            {
                for (int j = 0; j < p.Stops.Length; j++)
                {
                    Add(p.Stops[j], j);
                }
            }
        }

        foreach (Hypothesis h in _hypotheses)
        {
            for (int j = h.Last + 1; j < h.Pattern.Stops.Length && j <= h.Last + Lookahead; j++)
            {
                Add(h.Pattern.Stops[j], j - h.Last - 1);
            }
        }

        return candidates;
    }

    /// <summary>The candidate the window puts the bus at, if any.</summary>
    private string? Arrival()
    {
        if (_window.Count < ArrivalFixes)
        {
            return null;
        }

        string? best = null;
        (int Skip, double Mean) bestScore = (int.MaxValue, double.MaxValue);
        foreach ((string stop, int skip) in Candidates())
        {
            (double lat, double lon) = _coordinates[stop];
            int inside = 0;
            double sum = 0;
            foreach (GpsFix f in _window)
            {
                double d = Geo.Metres(f.Lat, f.Lon, lat, lon);
                sum += d;
                inside += d <= ArrivalRadius ? 1 : 0;
            }

            (int, double) score = (skip, sum / _window.Count);
            if (inside >= ArrivalFixes && score.CompareTo(bestScore) < 0)
            {
                (best, bestScore) = (stop, score);
            }
        }

        return best;
    }

    private List<StopPassage> Arrive(string stop, DateTimeOffset at)
    {
        var passed = new List<StopPassage>();
        if (_hypotheses.Count == 0)
        {
            _hypotheses = [.. Active().Where(p => Array.IndexOf(p.Stops, stop) >= 0).Select(p => new Hypothesis(p, Array.IndexOf(p.Stops, stop)))];
        }
        else
        {
            var reaching = new List<(Hypothesis H, int Index)>();
            foreach (Hypothesis h in _hypotheses)
            {
                int j = Array.IndexOf(h.Pattern.Stops, stop, h.Last + 1);
                if (j > h.Last && j <= h.Last + Lookahead)
                {
                    reaching.Add((h, j));
                }
            }

            int fewest = reaching.Min(r => r.Index - r.H.Last);
            reaching.RemoveAll(r => r.Index - r.H.Last > fewest);
            (Hypothesis first, int index) = reaching[0];
            if (first.Last >= 0)
            {
                // Dead reckoning by sequence: the stops between were passed, in order, unseen.
                for (int k = first.Last + 1; k < index; k++)
                {
                    passed.Add(new StopPassage(first.Pattern.Route, first.Pattern.Stops[k], at, PassedBy.Sequence));
                }
            }

            _hypotheses = [.. reaching.Select(r => r.H with { Last = r.Index })];
        }

        // At the end of a pattern the bus turns (or starts another run of the route): its patterns start again here.
        if (_hypotheses.Any(h => h.Last == h.Pattern.Stops.Length - 1))
        {
            (_terminus, _terminusDirection) = (stop, Direction);
            var next = _hypotheses.Where(h => h.Last < h.Pattern.Stops.Length - 1).ToList();
            foreach (string route in _hypotheses.Where(h => h.Last == h.Pattern.Stops.Length - 1).Select(h => h.Pattern.Route).Distinct())
            {
                next.AddRange(_patterns.Where(p => p.Route == route).Select(p => new Hypothesis(p, p.Stops[0] == stop ? 0 : -1)));
            }

            _hypotheses = [.. next.Distinct()];
        }

        string? route1 = Single(h => h.Pattern.Route);
        _lastRoute = route1 ?? _lastRoute;
        passed.Add(new StopPassage(route1 ?? _routeFilter, stop, at, PassedBy.Geofence));
        AtStop = stop;
        LastStop = stop;
        _outside = 0;
        return passed;
    }

    private string? Single(Func<Hypothesis, string?> of)
    {
        string? value = null;
        foreach (Hypothesis h in _hypotheses)
        {
            string? v = of(h);
            if (v is null || (value is not null && v != value))
            {
                return null;
            }

            value = v;
        }

        return value;
    }
}
