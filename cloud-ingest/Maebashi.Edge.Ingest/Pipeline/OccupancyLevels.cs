using OccupancyStatus = TransitRealtime.VehiclePosition.Types.OccupancyStatus;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// The GTFS-Realtime <c>occupancy_status</c> of riders aboard against a vehicle's capacity (seated and standing, the
/// registry's <c>vehicles[].capacity</c>); docs/ingest.md, "Occupancy", lists the same thresholds.
/// </summary>
/// <remarks>
/// The registry knows the whole capacity, not the seats. A Japanese city route bus carries about 75 to 80, of whom
/// 25 to 30 seated: its seats are about 35–40% of its capacity. Hence: nobody aboard is <c>EMPTY</c>; under 25% of
/// capacity still leaves most seats free (<c>MANY_SEATS_AVAILABLE</c>); under 40%, the last seats
/// (<c>FEW_SEATS_AVAILABLE</c>); under 80%, standing room (<c>STANDING_ROOM_ONLY</c>); under 100%, little of it
/// (<c>CRUSHED_STANDING_ROOM_ONLY</c>); at or over capacity <c>FULL</c>. <c>NOT_ACCEPTING_PASSENGERS</c> is the
/// driver's call, never an estimate.
/// </remarks>
public static class OccupancyLevels
{
    public const int ManySeatsBelowPercent = 25;
    public const int FewSeatsBelowPercent = 40;
    public const int StandingBelowPercent = 80;
    public const int CrushedBelowPercent = 100;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public static OccupancyStatus Of(int aboard, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        long aboardTimes100 = 100L * aboard;
        return aboard switch
        {
            <= 0 => OccupancyStatus.Empty,
            _ when aboardTimes100 < (long)ManySeatsBelowPercent * capacity => OccupancyStatus.ManySeatsAvailable,
            _ when aboardTimes100 < (long)FewSeatsBelowPercent * capacity => OccupancyStatus.FewSeatsAvailable,
            _ when aboardTimes100 < (long)StandingBelowPercent * capacity => OccupancyStatus.StandingRoomOnly,
            _ when aboardTimes100 < (long)CrushedBelowPercent * capacity => OccupancyStatus.CrushedStandingRoomOnly,
            _ => OccupancyStatus.Full,
        };
    }
}
