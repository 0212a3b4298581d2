namespace Maebashi.Edge.Terminal.Gps;

/// <summary>
/// One report of the GNSS receiver (its <c>RMC</c> sentence), at the receiver's UTC time. Without a fix
/// (<see cref="HasFix"/> false: a tunnel, a dropout, a cold start) the position fields mean nothing.
/// </summary>
public readonly record struct GpsFix(DateTimeOffset At, bool HasFix, double Lat, double Lon, double? Speed, double? Bearing)
{
    public static GpsFix None(DateTimeOffset at) => new(at, false, 0, 0, null, null);
}
