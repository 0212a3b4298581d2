using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Roles;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Gps;

/// <summary>
/// The bus's GPS, put together: fixes from the receiver (<see cref="NmeaFixReader"/>) go to the stop detector and the
/// motion tracker; the stops detected go to the <see cref="VehicleState"/> (where the driver's word wins), and the
/// position to <c>status</c> while the bus moves. The routes come from the cfg in force; the driver's route and stop
/// (control socket) put the detector back on track.
/// </summary>
public sealed class GpsTracker
{
    private readonly VehicleState _vehicle;
    private readonly Func<DeviceConfig?> _config;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly StopDetector _detector = new();
    private readonly MotionTracker _motion = new();
    private long? _routesVersion = -1;
    private GpsFix? _last;

    public GpsTracker(VehicleState vehicle, Func<DeviceConfig?> config, ILogger? log = null)
    {
        _vehicle = vehicle;
        _config = config;
        _log = log ?? NullLogger.Instance;
        _vehicle.DriverChanged += OnDriver;
    }

    /// <summary>Raised when the bus starts moving or parks (the uplink's status schedule wakes on it).</summary>
    public event Action? MovingChanged;

    /// <summary>Raised for each stop passed, in order (the demo and tests watch it).</summary>
    public event Action<StopPassage>? Passed;

    public bool Moving
    {
        get { lock (_gate) { return _motion.Moving; } }
    }

    /// <summary>Fixes taken; a receiver that sends nothing shows here.</summary>
    public long Fixes { get; private set; }

    /// <summary>The last position with what the detector knows, or null before the first fix.</summary>
    public VehiclePosition? Position
    {
        get
        {
            lock (_gate)
            {
                if (_last is not { } fix)
                {
                    return null;
                }

                (string? stop, string? status) = _detector.StopStatus(fix);
                return new VehiclePosition
                {
                    Lat = Math.Round(fix.Lat, 6),
                    Lon = Math.Round(fix.Lon, 6),
                    At = fix.At,
                    Bearing = fix.Bearing is { } b ? Math.Round(b, 1) : null,
                    Speed = fix.Speed is { } v ? Math.Round(v, 1) : null,
                    Route = _vehicle.Route ?? _detector.Route,
                    Direction = _detector.Direction,
                    Stop = stop,
                    StopStatus = status,
                };
            }
        }
    }

    /// <summary>The position to publish in <c>status</c>: only while moving (docs/contract.md §5.5).</summary>
    public VehiclePosition? PositionWhileMoving => Moving ? Position : null;

    /// <summary>Takes one report of the receiver.</summary>
    public void Feed(GpsFix fix)
    {
        bool movingChanged;
        List<StopPassage> passed;
        lock (_gate)
        {
            Fixes++;
            RefreshRoutes();
            movingChanged = _motion.Feed(fix);
            string? atBefore = _detector.AtStop;
            passed = [.. _detector.Feed(fix)];
            if (fix.HasFix)
            {
                // A position survives a dropout until the next fix: the last one known.
                _last = fix;
            }

            if (passed.Count > 0)
            {
                _vehicle.SetDetected(passed[^1].Route, passed[^1].Stop, StopSources.Gps);
            }
            else if (atBefore is not null && _detector.AtStop is null && _detector.LastStop is { } last)
            {
                _vehicle.SetDetected(_detector.Route, last, StopSources.Last);
            }
        }

        foreach (StopPassage p in passed)
        {
            _log.LogDebug("Stop {Stop} passed ({By})", p.Stop, p.By);
            Passed?.Invoke(p);
        }

        if (movingChanged)
        {
            MovingChanged?.Invoke();
        }
    }

    /// <summary>Reads the receiver's line until it ends or the terminal stops.</summary>
    public Task ReadAsync(Stream line, DateTimeOffset now, CancellationToken ct) => new NmeaFixReader(now).ReadAsync(line, Feed, ct);

    private void OnDriver(string? route, string? stop)
    {
        lock (_gate)
        {
            RefreshRoutes();
            if (route is null && stop is null)
            {
                _detector.Reset();
            }
            else
            {
                _detector.Resync(route, stop);
            }
        }
    }

    private void RefreshRoutes()
    {
        DeviceConfig? cfg = _config();
        if (cfg?.Version == _routesVersion)
        {
            return;
        }

        _routesVersion = cfg?.Version;
        _detector.SetRoutes(cfg?.Routes ?? []);
        (string? route, string? stop, string? source) = _vehicle.Snapshot;
        _detector.Resync(route, source == StopSources.Driver ? stop : null);
    }
}
