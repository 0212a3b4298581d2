using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using OccupancyStatus = TransitRealtime.VehiclePosition.Types.OccupancyStatus;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>A stop on a drawn route line: where it is drawn and its name.</summary>
public sealed record LineStop(string Id, string Name, int X);

/// <summary>
/// A bus as the fleet page shows it, every text Japanese first: where it is, bound where, how full. <see cref="X"/>
/// and <see cref="Y"/> place it on its route's line (null: its stop is not on the line drawn).
/// </summary>
public sealed record LineBus(
    string Vehicle,
    string Name,
    string Label,
    string Level,
    string Where,
    string Bound,
    string Occupancy,
    string OccupancyClass,
    int? X,
    int Y);

/// <summary>
/// A route drawn by the fleet page itself (inline SVG, no map tiles): its stops in the order of its direction-0
/// pattern (else its first pattern, else its stop list), and the buses on it at their current or next stop.
/// </summary>
public sealed record RouteLine(string Id, string Name, IReadOnlyList<LineStop> Stops, IReadOnlyList<LineBus> Buses, int Width, int Height, string Description)
{
    public const int Margin = 70;
    public const int StopSpacing = 120;

    /// <summary>Where the line runs, from the top of the drawing; the stop names are above it.</summary>
    public const int LineY = 40;

    /// <summary>A bus marker's size; buses at one place stack downwards from below the line.</summary>
    public const int BusHeight = 36;

    public const int BusWidth = 100;

    private const int FirstBusY = LineY + 22;

    /// <summary>The routes with a bus on them, by id, and the buses on no route of the registry.</summary>
    public static (IReadOnlyList<RouteLine> Lines, IReadOnlyList<LineBus> OffRoute) Of(IReadOnlyList<BusLocation> buses)
    {
        RouteLine[] lines =
        [
            .. buses.Where(b => b.Route is not null)
                .GroupBy(b => b.Route!.Id, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => Draw(g.First().Route!, [.. g])),
        ];
        LineBus[] offRoute = [.. buses.Where(b => b.Route is null).Select(b => Bus(b, null, null, 0))];
        return (lines, offRoute);
    }

    private static RouteLine Draw(RouteDef route, IReadOnlyList<BusLocation> buses)
    {
        Dictionary<string, string> names = route.Stops
            .GroupBy(s => s.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Name ?? g.Key, StringComparer.Ordinal);
        RoutePatternDef? drawn = route.Patterns?.FirstOrDefault(p => p.Direction == 0) ?? route.Patterns?.FirstOrDefault();
        List<string> order = drawn?.Stops ?? [.. route.Stops.Select(s => s.Id)];
        LineStop[] stops = [.. order.Select((id, i) => new LineStop(id, names.GetValueOrDefault(id, id), Margin + (i * StopSpacing)))];

        var placed = new Dictionary<int, int>();
        var drawnBuses = new List<LineBus>(buses.Count);
        foreach (BusLocation b in buses)
        {
            int? x = Place(b, stops, drawn?.Direction ?? 0);
            int stacked = x is { } at ? placed[at] = placed.GetValueOrDefault(at) + 1 : 1;
            drawnBuses.Add(Bus(b, route, x, FirstBusY + ((stacked - 1) * (BusHeight + 6))));
        }

        int rows = Math.Max(1, placed.Values.DefaultIfEmpty(1).Max());
        string name = route.Name ?? route.Id;
        string description = string.Create(CultureInfo.InvariantCulture,
            $"路線 {route.Id} {name}: 停留所 {stops.Length}か所、バス {buses.Count}台 / Route {route.Id}: {stops.Length} stops; buses: {buses.Count}. ")
            + string.Join(" ", drawnBuses.Select(b => $"{b.Name}: {b.Where}, {b.Occupancy}."));
        return new RouteLine(
            route.Id,
            name,
            stops,
            drawnBuses,
            (2 * Margin) + (Math.Max(0, stops.Length - 1) * StopSpacing),
            FirstBusY + (rows * (BusHeight + 6)) + 4,
            description);
    }

    /// <summary>
    /// At its stop when stopped there; halfway from the stop before when going to it (the line is drawn in the drawn
    /// pattern's direction, so a bus of the other direction comes from the right). Null: its stop is not on the line.
    /// </summary>
    private static int? Place(BusLocation b, LineStop[] stops, int drawnDirection)
    {
        if (b.Stop is null || Array.FindIndex(stops, s => s.Id == b.Stop) is var i && i < 0)
        {
            return null;
        }

        int x = stops[i].X;
        if (b.StopStatus is null or VehicleStopStatuses.StoppedAt)
        {
            return x;
        }

        bool fromRight = b.Direction is { } d && d != drawnDirection;
        int before = fromRight ? x + (StopSpacing / 2) : x - (StopSpacing / 2);
        return Math.Clamp(before, stops[0].X, stops[^1].X); // the first stop's "before" is the stop itself
    }

    private static LineBus Bus(BusLocation b, RouteDef? route, int? x, int y)
    {
        string name = b.Label is { } label ? $"{label} ({b.Vehicle})" : b.Vehicle;
        string stop = b.Stop is { } s && route?.Stops.FirstOrDefault(r => r.Id == s)?.Name is { } n ? n : b.Stop ?? "";
        string where = b.StopStatus switch
        {
            VehicleStopStatuses.StoppedAt => $"{stop}に停車中 / Stopped at {stop}",
            VehicleStopStatuses.IncomingAt => $"まもなく{stop} / Arriving at {stop}",
            VehicleStopStatuses.InTransitTo => $"{stop}へ走行中 / In transit to {stop}",
            _ => "停留所不明 / Stop unknown",
        };
        return new LineBus(b.Vehicle, name, b.Label ?? b.Vehicle, Level(b), where, Bound(b, route), Occupancy(b), OccupancyClass(b.Occupancy), x, y);
    }

    private static string Bound(BusLocation b, RouteDef? route)
    {
        if (route is null || b.Direction is not { } direction)
        {
            return "方向不明 / Direction unknown";
        }

        RoutePatternDef? pattern = route.Patterns?.FirstOrDefault(p => p.Direction == direction);
        string? to = pattern?.Headsign
            ?? (pattern?.Stops is [.., var last] ? route.Stops.FirstOrDefault(s => s.Id == last)?.Name ?? last : null);
        return to is null
            ? string.Create(CultureInfo.InvariantCulture, $"方向 {direction} / Direction {direction}")
            : $"{to}行き / Bound for {to}";
    }

    /// <summary>The level in words, with the count behind it: <c>混雑 やや混雑 / Occupancy: few seats (6/20人)</c>.</summary>
    public static string Occupancy(BusLocation b)
    {
        if (b.Occupancy is not { } level || b.Capacity is not { } capacity)
        {
            return string.Create(CultureInfo.InvariantCulture, $"乗車 {b.Aboard}人 / {b.Aboard} aboard");
        }

        string words = level switch
        {
            OccupancyStatus.Empty => "混雑 空いています / Occupancy: empty",
            OccupancyStatus.ManySeatsAvailable => "混雑 空席多数 / Occupancy: many seats",
            OccupancyStatus.FewSeatsAvailable => "混雑 やや混雑 / Occupancy: few seats",
            OccupancyStatus.StandingRoomOnly => "混雑 立ち席のみ / Occupancy: standing room only",
            OccupancyStatus.CrushedStandingRoomOnly => "混雑 大変混雑 / Occupancy: crushed standing",
            OccupancyStatus.Full => "混雑 満員 / Occupancy: full",
            _ => "混雑 乗車不可 / Occupancy: not accepting passengers",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{words} ({b.Aboard}/{capacity}人)");
    }

    /// <summary>The level in a word for the drawing (the list beside it has the words in full).</summary>
    private static string Level(BusLocation b) => b.Occupancy switch
    {
        null => string.Create(CultureInfo.InvariantCulture, $"{b.Aboard}人"),
        OccupancyStatus.Empty => "空いています",
        OccupancyStatus.ManySeatsAvailable => "空席多数",
        OccupancyStatus.FewSeatsAvailable => "やや混雑",
        OccupancyStatus.StandingRoomOnly => "立ち席のみ",
        OccupancyStatus.CrushedStandingRoomOnly => "大変混雑",
        OccupancyStatus.Full => "満員",
        _ => "乗車不可",
    };

    /// <summary>The stylesheet's class for the level (console.css: a colour and a border per level).</summary>
    private static string OccupancyClass(OccupancyStatus? level) => level switch
    {
        null => "occ-unknown",
        OccupancyStatus.Empty or OccupancyStatus.ManySeatsAvailable => "occ-low",
        OccupancyStatus.FewSeatsAvailable => "occ-mid",
        OccupancyStatus.StandingRoomOnly => "occ-high",
        _ => "occ-full",
    };
}
