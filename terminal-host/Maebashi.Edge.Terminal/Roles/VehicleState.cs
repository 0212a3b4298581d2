using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// Where the bus is: the route of the current run, the current stop and where that stop came from
/// (<see cref="StopSources"/>). The driver sets them on the control socket (the announcement unit); the GPS
/// (<see cref="Gps.GpsTracker"/>) sets them from the geofence. This class holds the one rule between the two
/// (docs/gps.md): <b>the driver's word wins</b> — a stop the driver set stays until the GPS detects arrival at a
/// different stop, and a route the driver set stays until the end of the run.
/// </summary>
public sealed class VehicleState
{
    private readonly object _gate = new();
    private bool _driverRoute;
    private bool _driverStop;

    public string? Route { get; private set; }
    public string? Stop { get; private set; }

    /// <summary>A <see cref="StopSources"/> value, or null while no stop is known.</summary>
    public string? StopSource { get; private set; }

    public (string? Route, string? Stop) Current
    {
        get { lock (_gate) { return (Route, Stop); } }
    }

    /// <summary>Route, stop and the stop's source, read together.</summary>
    public (string? Route, string? Stop, string? StopSource) Snapshot
    {
        get { lock (_gate) { return (Route, Stop, StopSource); } }
    }

    /// <summary>Raised after the driver set a route or stop (route, stop: null where not given) and after <see cref="Clear"/> (null, null).</summary>
    public event Action<string?, string?>? DriverChanged;

    /// <summary>The driver (control socket): a null argument leaves that part as it is.</summary>
    public void Set(string? route, string? stop)
    {
        lock (_gate)
        {
            if (route is not null)
            {
                Route = route;
                _driverRoute = true;
            }

            if (stop is not null)
            {
                Stop = stop;
                StopSource = StopSources.Driver;
                _driverStop = true;
            }
        }

        DriverChanged?.Invoke(route, stop);
    }

    /// <summary>
    /// The GPS: at <paramref name="stop"/> (<see cref="StopSources.Gps"/>) or past it (<see cref="StopSources.Last"/>),
    /// on <paramref name="route"/> when it inferred one. Ignored while the driver's stop holds; false when ignored.
    /// </summary>
    public bool SetDetected(string? route, string stop, string source)
    {
        lock (_gate)
        {
            if (_driverStop)
            {
                if (source != StopSources.Gps || stop == Stop)
                {
                    return false;
                }

                // The bus has arrived somewhere else: the driver's stop is behind it.
                _driverStop = false;
            }

            if (route is not null && !_driverRoute)
            {
                Route = route;
            }

            Stop = stop;
            StopSource = source;
            return true;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            Route = null;
            Stop = null;
            StopSource = null;
            _driverRoute = false;
            _driverStop = false;
        }

        DriverChanged?.Invoke(null, null);
    }
}
