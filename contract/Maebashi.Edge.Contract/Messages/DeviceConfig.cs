using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Contract.Messages;

/// <summary>
/// Retained on <c>maebashi/v1/dev/{id}/cfg</c>: the device's role and its part of the registry.
/// A bus gets the routes and the tariff (its route comes from the vehicle at run time); an event
/// site the events held there; a clinic reception its clinic.
/// </summary>
public sealed class DeviceConfig
{
    public long Version { get; set; }
    public string Device { get; set; } = "";
    public string Role { get; set; } = "";
    public string? Vehicle { get; set; }
    public string? Site { get; set; }
    public TariffDef? Tariff { get; set; }
    public List<RouteDef>? Routes { get; set; }

    /// <summary>A bus: the fare tables its routes of kind <c>table</c> name.</summary>
    public List<FareTableDef>? FareTables { get; set; }

    public List<EventDef>? Events { get; set; }
    public ClinicDef? Clinic { get; set; }
}

/// <summary>Retained on <c>maebashi/v1/deny</c>: tokens of lost cards and of debtors' cards.</summary>
public sealed class DenyList
{
    public long Version { get; set; }
    public List<string> Tokens { get; set; } = [];
}

/// <summary>Retained on <c>maebashi/v1/dev/{id}/status</c>; the last will says <c>offline</c>.</summary>
public sealed class DeviceStatus
{
    public string Device { get; set; } = "";

    /// <summary><c>online</c>, <c>offline</c>, or <c>degraded</c> (e.g. disk full, reader down).</summary>
    public string State { get; set; } = "online";

    public string? Firmware { get; set; }
    public long Backlog { get; set; }
    public ulong LastSeq { get; set; }

    /// <summary>When the oldest tap the cloud has not acknowledged yet was recorded; null when nothing waits.</summary>
    public DateTimeOffset? OldestUnackedAt { get; set; }

    public long? CfgVersion { get; set; }
    public long? DenyVersion { get; set; }
    public bool? DiskFull { get; set; }
    public DateTimeOffset? At { get; set; }
    public List<ReaderStatus>? Readers { get; set; }

    /// <summary>A bus's position while it moves (every 10 s); absent while parked or without a fix.</summary>
    public VehiclePosition? Position { get; set; }
}

/// <summary>Where a bus is, as its terminal knows it (docs/contract.md §5.5).</summary>
public sealed class VehiclePosition
{
    /// <summary>WGS84 decimal degrees.</summary>
    public double Lat { get; set; }

    /// <summary>WGS84 decimal degrees.</summary>
    public double Lon { get; set; }

    /// <summary>When the fix was taken.</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>Degrees clockwise from true north.</summary>
    public double? Bearing { get; set; }

    /// <summary>Metres per second.</summary>
    public double? Speed { get; set; }

    public string? Route { get; set; }

    /// <summary>GTFS <c>direction_id</c> (0 or 1) of the pattern the bus runs, once inferred.</summary>
    public int? Direction { get; set; }

    /// <summary>The stop the bus is at, or the next one it goes to (see <see cref="StopStatus"/>).</summary>
    public string? Stop { get; set; }

    /// <summary>A <see cref="VehicleStopStatuses"/> value.</summary>
    public string? StopStatus { get; set; }
}

/// <summary>GTFS-Realtime's <c>VehicleStopStatus</c>, in the wire's lower case.</summary>
public static class VehicleStopStatuses
{
    public const string IncomingAt = "incoming_at";
    public const string StoppedAt = "stopped_at";
    public const string InTransitTo = "in_transit_to";
}

public sealed class ReaderStatus
{
    public string Name { get; set; } = "";
    public List<string> Techs { get; set; } = [];
    public bool Healthy { get; set; }
    public string? LastError { get; set; }
    public long Resets { get; set; }
    public long Taps { get; set; }
}
