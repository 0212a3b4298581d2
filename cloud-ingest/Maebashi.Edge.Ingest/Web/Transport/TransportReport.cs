using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Web.Transport;

/// <summary>Revenue and ridership of one route on one service day (closed trips; an open trip has no fare yet).</summary>
public sealed record RouteDayRow(string ServiceDay, string Route, int Trips, int Riders, long Revenue, int MissingTapOff, int Transfers, int Capped);

/// <summary>Boardings and alightings at one stop of a route on one service day.</summary>
public sealed record StopDayRow(string ServiceDay, string Route, string Stop, int Boardings, int Alightings);

/// <summary>Trips between two stops of a route on one service day (tapped on and off), and their revenue.</summary>
public sealed record OriginDestinationRow(string ServiceDay, string Route, string Origin, string Destination, int Trips, long Revenue);

/// <summary>Which trips a list or an export holds.</summary>
public enum TripSelection
{
    /// <summary>Every closed trip.</summary>
    All,

    /// <summary>Closed without a tap-off: charged the highest fare from the boarding stop.</summary>
    MissingTapOff,

    /// <summary>The daily cap took some or all of the fare.</summary>
    Capped,

    /// <summary>A transfer discount applied.</summary>
    Transfer,
}

/// <summary>
/// The transport sector's figures of one service day, aggregated in one pass over that day's trips: per route, per stop,
/// per origin–destination pair, and the counts of trips without a tap-off, capped and transferred. What it holds is
/// bounded by the network (routes × stops) and the day's riders, never by the history.
/// </summary>
public sealed class TransportReport
{
    private readonly Dictionary<string, RouteTally> _routes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Route, string Stop), int[]> _stops = [];
    private readonly Dictionary<(string Route, string From, string To), long[]> _pairs = [];

    private TransportReport(string serviceDay) => ServiceDay = serviceDay;

    public string ServiceDay { get; }

    public IReadOnlyList<RouteDayRow> Routes { get; private set; } = [];

    public IReadOnlyList<StopDayRow> Stops { get; private set; } = [];

    public IReadOnlyList<OriginDestinationRow> OriginDestination { get; private set; } = [];

    public int Trips { get; private set; }

    public long Revenue { get; private set; }

    public int MissingTapOff { get; private set; }

    public int Capped { get; private set; }

    public int Transfers { get; private set; }

    public static TransportReport Of(string serviceDay, IEnumerable<(string Pid, Trip Trip)> trips)
    {
        var report = new TransportReport(serviceDay);
        foreach ((string pid, Trip t) in trips)
        {
            if (t.Close != TripClose.Open)
            {
                report.Add(pid, t);
            }
        }

        report.Finish();
        return report;
    }

    /// <summary>Whether the trip is one <paramref name="selection"/> lists.</summary>
    public static bool Selects(TripSelection selection, Trip t) => t.Close != TripClose.Open && selection switch
    {
        TripSelection.MissingTapOff => t.Close == TripClose.MissingTapOff,
        TripSelection.Capped => t.CapReduction > 0,
        TripSelection.Transfer => t.Transfer,
        _ => true,
    };

    private void Add(string pid, Trip t)
    {
        if (!_routes.TryGetValue(t.Route, out RouteTally? tally))
        {
            _routes[t.Route] = tally = new RouteTally();
        }

        tally.Trips++;
        tally.Riders.Add(pid);
        tally.Revenue += t.Charge;
        tally.MissingTapOff += t.Close == TripClose.MissingTapOff ? 1 : 0;
        tally.Transfers += t.Transfer ? 1 : 0;
        tally.Capped += t.CapReduction > 0 ? 1 : 0;
        if (t.BoardStop is { } from)
        {
            StopCounts(t.Route, from)[0]++;
        }

        if (t.AlightStop is { } to)
        {
            StopCounts(t.Route, to)[1]++;
        }

        if (t.Close == TripClose.Alighted && t.BoardStop is { } origin && t.AlightStop is { } destination)
        {
            if (!_pairs.TryGetValue((t.Route, origin, destination), out long[]? pair))
            {
                _pairs[(t.Route, origin, destination)] = pair = new long[2];
            }

            pair[0]++;
            pair[1] += t.Charge;
        }
    }

    private int[] StopCounts(string route, string stop)
    {
        if (!_stops.TryGetValue((route, stop), out int[]? counts))
        {
            _stops[(route, stop)] = counts = new int[2];
        }

        return counts;
    }

    private void Finish()
    {
        Routes =
        [
            .. _routes.OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => new RouteDayRow(ServiceDay, r.Key, r.Value.Trips, r.Value.Riders.Count, r.Value.Revenue, r.Value.MissingTapOff, r.Value.Transfers, r.Value.Capped)),
        ];
        Stops =
        [
            .. _stops.OrderBy(s => s.Key.Route, StringComparer.Ordinal).ThenBy(s => s.Key.Stop, StringComparer.Ordinal)
                .Select(s => new StopDayRow(ServiceDay, s.Key.Route, s.Key.Stop, s.Value[0], s.Value[1])),
        ];
        OriginDestination =
        [
            .. _pairs.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.From, StringComparer.Ordinal).ThenBy(p => p.Key.To, StringComparer.Ordinal)
                .Select(p => new OriginDestinationRow(ServiceDay, p.Key.Route, p.Key.From, p.Key.To, (int)p.Value[0], p.Value[1])),
        ];
        Trips = Routes.Sum(r => r.Trips);
        Revenue = Routes.Sum(r => r.Revenue);
        MissingTapOff = Routes.Sum(r => r.MissingTapOff);
        Capped = Routes.Sum(r => r.Capped);
        Transfers = Routes.Sum(r => r.Transfers);

        // What is kept is the rows: the tallies (with each route's riders) are not needed once they are made.
        _routes.Clear();
        _routes.TrimExcess();
        _stops.Clear();
        _stops.TrimExcess();
        _pairs.Clear();
        _pairs.TrimExcess();
    }

    private sealed class RouteTally
    {
        public int Trips;
        public long Revenue;
        public int MissingTapOff;
        public int Transfers;
        public int Capped;
        public readonly HashSet<string> Riders = new(StringComparer.Ordinal);
    }
}
