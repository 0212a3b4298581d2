using Google.Protobuf;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Http;
using TransitRealtime;
using GtfsVehiclePosition = TransitRealtime.VehiclePosition;
using VehicleStopStatus = TransitRealtime.VehiclePosition.Types.VehicleStopStatus;

namespace Maebashi.Edge.Ingest.GtfsRealtime;

/// <summary>The feed as served: when it was built, its protobuf bytes and its proto3 JSON.</summary>
public sealed record BuiltFeed(DateTimeOffset At, byte[] Protobuf, string Json);

/// <summary>
/// GTFS-Realtime vehicle positions (docs/contract.md §6): a <c>FULL_DATASET</c> of every bus of
/// <see cref="BusLocations"/>, built at most once per <see cref="CacheFor"/> and served from memory in between, so
/// that any number of journey planners polling it cost one build per 10 s.
/// </summary>
/// <remarks>
/// Nothing personal: vehicles, routes and stops of the registry, positions and occupancy levels. No
/// <c>occupancy_percentage</c> either: the spec asks for a precision too low to follow one rider, and a level is that.
/// </remarks>
public sealed class VehiclePositionsFeed(BusLocations buses, TimeProvider time)
{
    /// <summary>How long one build is served, and so the longest a reader sees it (the bound: 10 s).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private BuiltFeed? _built;

    /// <summary>The feed as last built, or built now when that is <see cref="CacheFor"/> old.</summary>
    public BuiltFeed Current()
    {
        lock (_gate)
        {
            DateTimeOffset now = time.GetUtcNow();
            if (_built is { } b && now - b.At < CacheFor && now >= b.At)
            {
                return b;
            }

            FeedMessage feed = Build(buses.At(now), now);
            _built = new BuiltFeed(now, feed.ToByteArray(), JsonFormatter.Default.Format(feed));
            return _built;
        }
    }

    /// <summary>The feed message of <paramref name="locations"/> as of <paramref name="now"/>.</summary>
    public static FeedMessage Build(IReadOnlyList<BusLocation> locations, DateTimeOffset now)
    {
        var feed = new FeedMessage
        {
            Header = new FeedHeader
            {
                GtfsRealtimeVersion = "2.0",
                Incrementality = FeedHeader.Types.Incrementality.FullDataset,
                Timestamp = (ulong)now.ToUnixTimeSeconds(),
            },
        };
        foreach (BusLocation bus in locations)
        {
            feed.Entity.Add(new FeedEntity { Id = bus.Vehicle, Vehicle = Vehicle(bus) });
        }

        return feed;
    }

    private static GtfsVehiclePosition Vehicle(BusLocation bus)
    {
        var v = new GtfsVehiclePosition
        {
            Vehicle = new VehicleDescriptor { Id = bus.Vehicle },
            Position = new Position { Latitude = (float)bus.Lat, Longitude = (float)bus.Lon },
            Timestamp = (ulong)Math.Max(0, bus.At.ToUnixTimeSeconds()),
        };
        if (bus.Label is not null)
        {
            v.Vehicle.Label = bus.Label;
        }

        if (bus.Bearing is { } bearing)
        {
            v.Position.Bearing = (float)bearing;
        }

        if (bus.Speed is { } speed)
        {
            v.Position.Speed = (float)speed;
        }

        if (bus.Route is { } route)
        {
            // No timetable, so no trip_id: the descriptor selects the route's trips in one direction.
            v.Trip = new TripDescriptor { RouteId = route.Id };
            if (bus.Direction is { } direction)
            {
                v.Trip.DirectionId = (uint)direction;
            }
        }

        if (bus.Stop is { } stop)
        {
            v.StopId = stop;
            v.CurrentStatus = bus.StopStatus switch
            {
                VehicleStopStatuses.IncomingAt => VehicleStopStatus.IncomingAt,
                VehicleStopStatuses.StoppedAt => VehicleStopStatus.StoppedAt,
                _ => VehicleStopStatus.InTransitTo,
            };
        }

        if (bus.Occupancy is { } occupancy)
        {
            v.OccupancyStatus = occupancy;
        }

        return v;
    }
}
