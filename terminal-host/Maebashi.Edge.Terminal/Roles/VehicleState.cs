namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// Where the bus is, as the vehicle tells it (announcement unit or GPS through the control socket):
/// the route of the current run and the current stop.
/// </summary>
public sealed class VehicleState
{
    private readonly object _gate = new();

    public string? Route { get; private set; }
    public string? Stop { get; private set; }

    public (string? Route, string? Stop) Current
    {
        get { lock (_gate) { return (Route, Stop); } }
    }

    public void Set(string? route, string? stop)
    {
        lock (_gate)
        {
            if (route is not null)
            {
                Route = route;
            }

            if (stop is not null)
            {
                Stop = stop;
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            Route = null;
            Stop = null;
        }
    }
}
