using Maebashi.Edge.Terminal.Config;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// The one place that decides when the retained <c>status</c> goes out: every <see cref="UplinkOptions.StatusInterval"/>;
/// every <see cref="UplinkOptions.PositionInterval"/> while the bus moves (the status then carries its position,
/// docs/contract.md §5.5), never more often for it while parked; and at once when the backlog empties or fills or
/// the disk fills or frees. Times are on the uplink's monotonic clock.
/// </summary>
public sealed class StatusSchedule(UplinkOptions options)
{
    private TimeSpan? _lastAt;
    private long _lastBacklog = -1;
    private bool _lastDiskFull;

    /// <summary>When the next status is due by time alone.</summary>
    public TimeSpan NextDue(bool moving)
    {
        TimeSpan every = moving && options.PositionInterval < options.StatusInterval ? options.PositionInterval : options.StatusInterval;
        return _lastAt is { } last ? last + every : TimeSpan.Zero;
    }

    public bool Due(TimeSpan now, long backlog, bool diskFull, bool moving) =>
        now >= NextDue(moving) || (backlog == 0) != (_lastBacklog == 0) || diskFull != _lastDiskFull;

    /// <summary>A status was sent with these figures.</summary>
    public void Published(TimeSpan now, long backlog, bool diskFull)
    {
        _lastAt = now;
        _lastBacklog = backlog;
        _lastDiskFull = diskFull;
    }
}
