using System.Runtime.CompilerServices;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// A route's adult fares indexed once: stop → position, and the highest fare from and to every stop
/// (what a missing tap-off and an unmatched alight are charged). Built lazily per <see cref="RouteDef"/>
/// and kept as long as the registry lives; the loaded registry is treated as immutable.
/// </summary>
internal sealed class RouteFares
{
    private static readonly ConditionalWeakTable<RouteDef, RouteFares> Cache = new();

    private readonly Dictionary<string, int> _stopIndex;
    private readonly int[] _zones;
    private readonly long[] _maxFrom;
    private readonly long[] _maxTo;
    private readonly bool _flat;
    private readonly long _flatFare;
    private readonly long _baseFare;
    private readonly long _zoneFare;
    private readonly long _maxFare;

    private RouteFares(RouteDef route)
    {
        Route = route;
        _flat = route.Kind == RouteKinds.Flat;
        _flatFare = route.FlatFare ?? 0;
        _baseFare = route.BaseFare ?? 0;
        _zoneFare = route.ZoneFare ?? 0;
        _maxFare = route.MaxFare ?? long.MaxValue;

        int n = route.Stops.Count;
        _stopIndex = new Dictionary<string, int>(n, StringComparer.Ordinal);
        _zones = new int[n];
        for (int i = 0; i < n; i++)
        {
            _stopIndex.TryAdd(route.Stops[i].Id, i);
            _zones[i] = route.Stops[i].Zone ?? 1;
        }

        _maxFrom = new long[n];
        _maxTo = new long[n];
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                _maxFrom[a] = Math.Max(_maxFrom[a], Fare(a, b));
                _maxTo[b] = Math.Max(_maxTo[b], Fare(a, b));
            }
        }
    }

    public RouteDef Route { get; }

    public static RouteFares For(RouteDef route) => Cache.GetValue(route, static r => new RouteFares(r));

    /// <summary>Position of a stop on the route, or −1.</summary>
    public int StopIndex(string? stop) => stop is not null && _stopIndex.TryGetValue(stop, out int i) ? i : -1;

    /// <summary>Adult fare between two stops: flat fare, or min(maxFare, baseFare + zoneFare × |Δzone|).</summary>
    public long Fare(int board, int alight)
    {
        if (_flat)
        {
            return _flatFare;
        }

        long zones = Math.Abs(_zones[alight] - _zones[board]);
        return Math.Min(_maxFare, _baseFare + (_zoneFare * zones));
    }

    /// <summary>Highest adult fare from this stop to any stop of the route (missing tap-off).</summary>
    public long MaxFrom(int board) => _flat ? _flatFare : _maxFrom[board];

    /// <summary>Highest adult fare from any stop of the route to this stop (alight with no open trip).</summary>
    public long MaxTo(int alight) => _flat ? _flatFare : _maxTo[alight];
}
