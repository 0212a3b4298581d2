using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Gps;
using Maebashi.Edge.Terminal.Gps;
using Maebashi.Edge.Terminal.Roles;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// A drive replayed into a terminal's GPS one second at a time, through the emulated receiver's NMEA bytes and the
/// terminal's reader; the passages are collected. <see cref="Clock"/> (the tests' FakeTimeProvider, when given) is
/// moved to each second before its sentences are read.
/// </summary>
internal sealed class GpsReplay
{
    public GpsReplay(RouteDef route, GpsDrive drive, GpsNoise noise, VehicleState? vehicle = null, Microsoft.Extensions.Time.Testing.FakeTimeProvider? clock = null)
    {
        Route = route;
        Drive = drive;
        Clock = clock ?? new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        Receiver = new EmulatedGpsReceiver(drive, noise, Clock);
        Config = BusConfig(route);
        Vehicle = vehicle ?? new VehicleState();
        Tracker = new GpsTracker(Vehicle, () => Config);
        Tracker.Passed += Passages.Add;
        Reader = new NmeaFixReader(Receiver.Start);
    }

    public RouteDef Route { get; }
    public GpsDrive Drive { get; }
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock { get; }
    public EmulatedGpsReceiver Receiver { get; }
    public DeviceConfig Config { get; set; }
    public VehicleState Vehicle { get; }
    public GpsTracker Tracker { get; }
    public NmeaFixReader Reader { get; }
    public List<StopPassage> Passages { get; } = [];

    /// <summary>The next second of the drive to be read.</summary>
    public int Second { get; private set; }

    public bool Done => Second >= Receiver.Length;

    /// <summary>Reads one second: the clock moves to it, the receiver's bytes go through the reader to the tracker.</summary>
    public void Step()
    {
        TimeSpan ahead = Receiver.Start.AddSeconds(Second) - Clock.GetUtcNow();
        if (ahead > TimeSpan.Zero)
        {
            Clock.Advance(ahead);
        }

        foreach (GpsFix fix in Reader.Feed(Receiver.Output()))
        {
            Tracker.Feed(fix);
        }

        Second++;
    }

    public void RunUntil(Func<bool> condition)
    {
        while (!Done && !condition())
        {
            Step();
        }

        Assert.True(condition(), "the drive ended first");
    }

    public void RunToEnd() => RunUntil(() => Done);

    /// <summary>The stop the bus truly dwells at now (the second just read).</summary>
    public string? TrulyAt => Drive.Seconds[Second - 1].DwellingAt;

    public static DeviceConfig BusConfig(params RouteDef[] routes) => new()
    {
        Version = 1,
        Device = "BUS0042",
        Role = DeviceRoles.Bus,
        Vehicle = "V0042",
        Routes = [.. routes],
    };

    /// <summary>
    /// A straight route: stops <paramref name="spacing"/> metres apart, then a 600 m stretch (the tunnel's) to one more
    /// stop; direction 0 out, direction 1 back through the same stops.
    /// </summary>
    public static RouteDef Straight(string id, int stops, double spacing)
    {
        var frame = new LocalFrame(36.3895, 139.0634);
        var route = new RouteDef { Id = id, Kind = RouteKinds.Flat, FlatFare = 180 };
        double north = 0;
        for (int i = 0; i < stops; i++)
        {
            north += i == 0 ? 0 : i == stops - 1 ? 600 : spacing;
            (double lat, double lon) = frame.ToWgs84(0, north);
            route.Stops.Add(new StopDef { Id = ReplayRoutes.StopId(id, i), Lat = lat, Lon = lon });
        }

        List<string> ids = [.. route.Stops.Select(s => s.Id)];
        route.Patterns =
        [
            new RoutePatternDef { Id = id + "-0", Direction = 0, Stops = ids },
            new RoutePatternDef { Id = id + "-1", Direction = 1, Stops = [.. Enumerable.Reverse(ids)] },
        ];
        return route;
    }
}
