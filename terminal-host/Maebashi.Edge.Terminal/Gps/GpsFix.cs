namespace Maebashi.Edge.Terminal.Gps;

/// <summary>
/// One report of the GNSS receiver (its <c>RMC</c> sentence), at the receiver's UTC time. Without a fix
/// (<see cref="HasFix"/> false: a tunnel, a dropout, a cold start) the position fields mean nothing.
/// </summary>
public readonly record struct GpsFix(DateTimeOffset At, bool HasFix, double Lat, double Lon, double? Speed, double? Bearing)
{
    public static GpsFix None(DateTimeOffset at) => new(at, false, 0, 0, null, null);
}

/// <summary>WGS84 distances on the scale of a town: equirectangular, within centimetres over a few kilometres.</summary>
public static class Geo
{
    /// <summary>The mean Earth radius (IUGG), in metres.</summary>
    public const double EarthRadius = 6_371_008.8;

    public static double Metres(double lat1, double lon1, double lat2, double lon2)
    {
        double k = Math.PI / 180;
        double x = (lon2 - lon1) * k * Math.Cos((lat1 + lat2) / 2 * k);
        double y = (lat2 - lat1) * k;
        return Math.Sqrt(x * x + y * y) * EarthRadius;
    }
}
