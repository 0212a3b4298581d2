namespace Maebashi.Edge.Contract.Geography;

/// <summary>
/// WGS84 distances on the scale of a prefecture: equirectangular, within centimetres over a few kilometres and a
/// fraction of a percent over a hundred. One place for the bus's geofence and the ingest's travel check.
/// </summary>
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
