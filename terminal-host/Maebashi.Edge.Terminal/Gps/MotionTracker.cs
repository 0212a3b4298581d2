using Maebashi.Edge.Contract.Geography;

namespace Maebashi.Edge.Terminal.Gps;

/// <summary>
/// Moving or parked, with hysteresis (docs/gps.md): a parked bus is moving once <see cref="MovingFixes"/> fixes in a
/// row show a speed of at least <see cref="MovingSpeed"/> or lie more than <see cref="MovingDisplacement"/> from where
/// it stood; a moving bus is parked after <see cref="ParkAfter"/> below <see cref="StillSpeed"/>. A dwell at a stop is
/// shorter: a bus in service stays moving. A terminal starts parked.
/// </summary>
public sealed class MotionTracker
{
    public const double MovingSpeed = 2.0;
    public const int MovingFixes = 3;
    public const double MovingDisplacement = 100;
    public const double StillSpeed = 1.0;
    public static readonly TimeSpan ParkAfter = TimeSpan.FromMinutes(2);

    /// <summary>Fixes the parked position averages at most (the mean of a still bus's noisy fixes, bounded).</summary>
    private const int AnchorFixes = 60;

    private double _anchorLat, _anchorLon;
    private int _anchorCount;
    private int _movingRun;
    private DateTimeOffset? _stillSince;
    private GpsFix? _previous;

    public bool Moving { get; private set; }

    /// <summary>Takes one report; true when it changed <see cref="Moving"/>.</summary>
    public bool Feed(GpsFix fix)
    {
        if (!fix.HasFix)
        {
            return false;
        }

        double speed = fix.Speed ?? Derived(fix);
        _previous = fix;
        if (Moving)
        {
            if (speed >= StillSpeed)
            {
                _stillSince = null;
                return false;
            }

            _stillSince ??= fix.At;
            if (fix.At - _stillSince < ParkAfter)
            {
                return false;
            }

            Moving = false;
            _anchorCount = 0;
            _movingRun = 0;
            Anchor(fix);
            return true;
        }

        bool away = _anchorCount > 0 && Geo.Metres(fix.Lat, fix.Lon, _anchorLat, _anchorLon) > MovingDisplacement;
        _movingRun = speed >= MovingSpeed || away ? _movingRun + 1 : 0;
        if (_movingRun >= MovingFixes)
        {
            Moving = true;
            _stillSince = null;
            return true;
        }

        if (_movingRun == 0)
        {
            Anchor(fix);
        }

        return false;
    }

    private void Anchor(GpsFix fix)
    {
        // A running mean, its weight capped: it follows a bus that creeps, and stays bounded.
        int n = Math.Min(_anchorCount + 1, AnchorFixes);
        _anchorLat += (fix.Lat - _anchorLat) / n;
        _anchorLon += (fix.Lon - _anchorLon) / n;
        _anchorCount = n;
    }

    private double Derived(GpsFix fix) => _previous is { HasFix: true } p && fix.At > p.At
        ? Geo.Metres(p.Lat, p.Lon, fix.Lat, fix.Lon) / (fix.At - p.At).TotalSeconds
        : 0;
}
