using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using OccupancyStatus = TransitRealtime.VehiclePosition.Types.OccupancyStatus;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// A bus where its terminal last put it, with its occupancy estimate. Every string is the registry's: the route is one
/// of its routes, the stop one of that route's stops, the vehicle one of its vehicles or devices' vehicles.
/// </summary>
/// <param name="Direction">GTFS <c>direction_id</c>, 0 or 1, once the terminal inferred it.</param>
/// <param name="Stop">The stop the bus is at or goes to (<paramref name="StopStatus"/>), when it is on <paramref name="Route"/>.</param>
/// <param name="StopStatus">A <see cref="VehicleStopStatuses"/> value, given with <paramref name="Stop"/> only.</param>
/// <param name="Occupancy">Null when the registry gives the vehicle no capacity.</param>
public sealed record BusLocation(
    string Vehicle,
    string? Label,
    double Lat,
    double Lon,
    DateTimeOffset At,
    double? Bearing,
    double? Speed,
    RouteDef? Route,
    int? Direction,
    string? Stop,
    string? StopStatus,
    int Aboard,
    int? Capacity,
    OccupancyStatus? Occupancy);

/// <summary>
/// The buses on the road now, for the GTFS-Realtime feed and the console's route lines (one rule for both): each
/// vehicle of a bus terminal whose retained <c>status</c> holds a position no older than <see cref="MaxAge"/>.
/// </summary>
public sealed class BusLocations(IngestPipeline pipeline)
{
    /// <summary>
    /// A moving bus publishes its position every 10 s (docs/contract.md §5.5); one not heard for 2 minutes — parked
    /// with its last position retained, out of coverage, switched off — is not shown where it was. A position this far
    /// ahead of the ingest's clock is not believed either.
    /// </summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, VehicleDef> _vehicles = (pipeline.Registry.Document.Vehicles ?? [])
        .GroupBy(v => v.Id, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>Fresh buses by vehicle id; a vehicle with two terminals (two doors) once, at its newer position.</summary>
    public IReadOnlyList<BusLocation> At(DateTimeOffset now)
    {
        var newest = new Dictionary<string, VehiclePosition>(StringComparer.Ordinal);
        foreach (DeviceEntry device in pipeline.Registry.Devices)
        {
            if (device.Role != DeviceRoles.Bus
                || !pipeline.Statuses.TryGetValue(device.Id, out DeviceStatus? status)
                || status.State == "offline"
                || status.Position is not { } p
                || !IsPlausible(p)
                || (now - p.At).Duration() > MaxAge)
            {
                continue;
            }

            string vehicle = device.Def.Vehicle ?? device.Id;
            if (!newest.TryGetValue(vehicle, out VehiclePosition? other) || p.At > other.At)
            {
                newest[vehicle] = p;
            }
        }

        IReadOnlyDictionary<string, VehicleTrip> trips = pipeline.TripsOf(newest.Keys);
        return [.. newest.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => Locate(v.Key, v.Value, trips.GetValueOrDefault(v.Key) ?? VehicleTrip.None, now))];
    }

    private BusLocation Locate(string vehicle, VehiclePosition p, VehicleTrip trip, DateTimeOffset now)
    {
        RouteDef? route = p.Route is null ? null : pipeline.Registry.FindRoute(p.Route);
        string? stop = route is not null && p.Stop is { } s && IsOnRoute(route, s) ? s : null;
        string? stopStatus = stop is not null && p.StopStatus is VehicleStopStatuses.IncomingAt or VehicleStopStatuses.StoppedAt or VehicleStopStatuses.InTransitTo
            ? p.StopStatus
            : null;
        VehicleDef? def = _vehicles.GetValueOrDefault(vehicle);
        int aboard = trip.AboardAt(now);
        int? capacity = def?.Capacity is > 0 ? def.Capacity : null;
        return new BusLocation(
            vehicle,
            def?.Label,
            p.Lat,
            p.Lon,
            p.At,
            p.Bearing is { } b && double.IsFinite(b) && b >= 0 && b < 360 ? b : null,
            p.Speed is { } v && double.IsFinite(v) && v >= 0 ? v : null,
            route,
            route is not null && p.Direction is 0 or 1 ? p.Direction : null,
            stop,
            stopStatus,
            aboard,
            capacity,
            capacity is { } c ? OccupancyLevels.Of(aboard, c) : null);
    }

    private static bool IsPlausible(VehiclePosition p) =>
        double.IsFinite(p.Lat) && double.IsFinite(p.Lon) && p.Lat is >= -90 and <= 90 && p.Lon is >= -180 and <= 180;

    private static bool IsOnRoute(RouteDef route, string stop) =>
        route.Stops.Any(s => s.Id == stop) || (route.Patterns ?? []).Any(p => p.Stops.Contains(stop));
}
