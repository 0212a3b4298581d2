using System.Runtime.CompilerServices;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// A route's adult fares indexed once: stop → position, and the highest fare from and to every stop
/// (what a missing tap-off and an unmatched alight are charged). Built lazily per <see cref="RouteDef"/>
/// and kept as long as the registry lives; the loaded registry is treated as immutable. Kind <c>table</c>
/// looks its fares up in the route's origin–destination table by the stops' fare zones.
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
    private readonly OdFareTable? _table;
    private readonly string?[] _fareZones;

    private RouteFares(RouteDef route, FareTableDef? table)
    {
        Route = route;
        _flat = route.Kind == RouteKinds.Flat;
        _flatFare = route.FlatFare ?? 0;
        _baseFare = route.BaseFare ?? 0;
        _zoneFare = route.ZoneFare ?? 0;
        _maxFare = route.MaxFare ?? long.MaxValue;
        _table = route.Kind == RouteKinds.Table && table is not null ? OdFareTable.For(table) : null;

        int n = route.Stops.Count;
        _stopIndex = new Dictionary<string, int>(n, StringComparer.Ordinal);
        _zones = new int[n];
        _fareZones = new string?[n];
        for (int i = 0; i < n; i++)
        {
            _stopIndex.TryAdd(route.Stops[i].Id, i);
            _zones[i] = route.Stops[i].Zone ?? 1;
            _fareZones[i] = route.Stops[i].FareZone;
        }

        _maxFrom = new long[n];
        _maxTo = new long[n];
        for (int a = 0; a < n; a++)
        {
            for (int b = 0; b < n; b++)
            {
                if (ListedFare(a, b) is { } fare)
                {
                    _maxFrom[a] = Math.Max(_maxFrom[a], fare);
                    _maxTo[b] = Math.Max(_maxTo[b], fare);
                }
            }
        }
    }

    public RouteDef Route { get; }

    /// <summary>The route's fares; <paramref name="table"/> is the fare table a route of kind <c>table</c> names.</summary>
    public static RouteFares For(RouteDef route, FareTableDef? table) =>
        Cache.TryGetValue(route, out RouteFares? fares) ? fares : Cache.GetValue(route, r => new RouteFares(r, table));

    /// <summary>Position of a stop on the route, or −1.</summary>
    public int StopIndex(string? stop) => stop is not null && _stopIndex.TryGetValue(stop, out int i) ? i : -1;

    /// <summary>
    /// Adult fare between two stops: flat fare; min(maxFare, baseFare + zoneFare × |Δzone|); or the table's fare
    /// between the stops' fare zones. A pair the table lacks (stops no pattern joins, which the validator lets
    /// pass) is charged as a missing tap-off from the boarding stop: the highest fare from there.
    /// </summary>
    public long Fare(int board, int alight) => ListedFare(board, alight) ?? _maxFrom[board];

    private long? ListedFare(int board, int alight)
    {
        if (_flat)
        {
            return _flatFare;
        }

        if (_table is not null)
        {
            return _table.Fare(_fareZones[board], _fareZones[alight]);
        }

        long zones = Math.Abs(_zones[alight] - _zones[board]);
        return Math.Min(_maxFare, _baseFare + (_zoneFare * zones));
    }

    /// <summary>Highest adult fare from this stop to any stop of the route (missing tap-off).</summary>
    public long MaxFrom(int board) => _flat ? _flatFare : _maxFrom[board];

    /// <summary>Highest adult fare from any stop of the route to this stop (alight with no open trip).</summary>
    public long MaxTo(int alight) => _flat ? _flatFare : _maxTo[alight];
}
