using Maebashi.Edge.Contract.Geography;

namespace Maebashi.Edge.Emulation.Gps;

/// <summary>
/// Flat metres east/north around an origin (equirectangular): exact enough for a bus route of a few
/// kilometres, where the drive and the noise are laid out in metres and turned into WGS84 degrees.
/// </summary>
public readonly record struct LocalFrame(double OriginLat, double OriginLon)
{
    private static double MetresPerDegreeLat => Geo.EarthRadius * Math.PI / 180;

    private double MetresPerDegreeLon => MetresPerDegreeLat * Math.Cos(OriginLat * Math.PI / 180);

    public (double Lat, double Lon) ToWgs84(double east, double north) =>
        (OriginLat + north / MetresPerDegreeLat, OriginLon + east / MetresPerDegreeLon);

    public (double East, double North) ToMetres(double lat, double lon) =>
        ((lon - OriginLon) * MetresPerDegreeLon, (lat - OriginLat) * MetresPerDegreeLat);
}
