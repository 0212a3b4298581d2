using System.Text.Json.Serialization;

namespace Maebashi.Edge.Contract.Registry;

/// <summary>
/// The city's export as it is written (docs/contract.md §7). Fields are kept close to the file so that
/// <see cref="RegistryValidator"/> can name the entry and field of every problem.
/// </summary>
public sealed class RegistryDocument
{
    public RegistryKeys? Keys { get; set; }
    public TariffDef? Tariff { get; set; }
    public List<RouteDef>? Routes { get; set; }
    public List<PersonDef>? Persons { get; set; }
    public List<CardDef>? Cards { get; set; }
    public List<DeviceDef>? Devices { get; set; }
    public List<EventDef>? Events { get; set; }
    public List<ClinicDef>? Clinics { get; set; }

    /// <summary>Bus operators (GTFS <c>agency</c> + <c>agency_jp</c>); routes name theirs in <see cref="RouteDef.Agency"/>.</summary>
    public List<AgencyDef>? Agencies { get; set; }

    /// <summary>Origin–destination fare tables (GTFS <c>fare_attributes</c> + <c>fare_rules</c>), used by routes of kind <c>table</c>.</summary>
    public List<FareTableDef>? FareTables { get; set; }

    /// <summary>Vehicles with their capacity, for occupancy (GTFS-Realtime <c>occupancy_status</c>).</summary>
    public List<VehicleDef>? Vehicles { get; set; }
}

public sealed class RegistryKeys
{
    /// <summary>Hex; keys card tokens (docs/contract.md §2).</summary>
    public string? RegionKey { get; set; }

    /// <summary>Hex; keys sector IDs (docs/contract.md §2).</summary>
    public string? LinkKey { get; set; }
}

public sealed class TariffDef
{
    public DailyCaps? DailyCap { get; set; }

    /// <summary>A person goes on the deny list when value falls below −debtLimit.</summary>
    public long DebtLimit { get; set; } = 500;

    /// <summary>Ride points per 100 yen of charge.</summary>
    public long RidePointsPer100 { get; set; } = 1;
}

/// <summary>Daily caps per fare category, yen per service day; a missing cap means none.</summary>
public sealed class DailyCaps
{
    public long? Adult { get; set; }
    public long? Child { get; set; }
    public long? Disability { get; set; }
}

public static class RouteKinds
{
    public const string Flat = "flat";
    public const string Zonal = "zonal";

    /// <summary>Fares from an origin–destination table (<see cref="RouteDef.FareTable"/>), keyed by the stops' fare zones.</summary>
    public const string Table = "table";
}

public sealed class RouteDef
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public string Kind { get; set; } = "";
    public long? FlatFare { get; set; }
    public long? BaseFare { get; set; }
    public long? ZoneFare { get; set; }
    public long? MaxFare { get; set; }
    public long TransferDiscount { get; set; }
    public List<StopDef> Stops { get; set; } = [];

    /// <summary>The operator (an <see cref="AgencyDef.Id"/>); absent on hand-written routes.</summary>
    public string? Agency { get; set; }

    /// <summary>Names in other languages, keyed by BCP 47 language (<c>en</c>, <c>ja-Hrkt</c>…), from GTFS <c>translations.txt</c>.</summary>
    public Dictionary<string, string>? Names { get; set; }

    /// <summary>Kind <c>table</c>: the <see cref="FareTableDef.Id"/> its fares come from.</summary>
    public string? FareTable { get; set; }

    /// <summary>The stop sequences the route's trips run (GTFS route patterns), each with its direction.</summary>
    public List<RoutePatternDef>? Patterns { get; set; }
}

public sealed class StopDef
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public int? Zone { get; set; }

    /// <summary>WGS84 decimal degrees; both or neither.</summary>
    public double? Lat { get; set; }

    /// <summary>WGS84 decimal degrees; both or neither.</summary>
    public double? Lon { get; set; }

    /// <summary>Platform code (GTFS <c>platform_code</c>, のりば).</summary>
    public string? Code { get; set; }

    /// <summary>Kind <c>table</c>: the stop's fare zone (GTFS <c>zone_id</c>).</summary>
    public string? FareZone { get; set; }

    /// <summary>Names in other languages, keyed by BCP 47 language.</summary>
    public Dictionary<string, string>? Names { get; set; }
}

/// <summary>A stop sequence a route's trips run, in one direction (GTFS <c>direction_id</c> 0 or 1).</summary>
public sealed class RoutePatternDef
{
    public string Id { get; set; } = "";
    public int Direction { get; set; }
    public string? Headsign { get; set; }

    /// <summary>Stop ids of the route, in the order the bus passes them.</summary>
    public List<string> Stops { get; set; } = [];
}

public sealed class AgencyDef
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";

    /// <summary>Names in other languages, keyed by BCP 47 language.</summary>
    public Dictionary<string, string>? Names { get; set; }

    /// <summary>GTFS-JP <c>agency_jp.agency_official_name</c>.</summary>
    public string? OfficialName { get; set; }

    public string? Url { get; set; }
    public string? Phone { get; set; }
}

/// <summary>An origin–destination fare table; one per agency and fare scheme.</summary>
public sealed class FareTableDef
{
    public string Id { get; set; } = "";
    public string? Agency { get; set; }
    public List<OdFareDef> Fares { get; set; } = [];
}

/// <summary>The adult fare from one fare zone to another, in yen.</summary>
public sealed class OdFareDef
{
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public long Fare { get; set; }
}

public sealed class VehicleDef
{
    public string Id { get; set; } = "";

    /// <summary>Passengers it carries, seated and standing; occupancy is estimated against it.</summary>
    public int? Capacity { get; set; }

    /// <summary>What riders read on the bus (GTFS-Realtime <c>vehicle.label</c>), e.g. the fleet number.</summary>
    public string? Label { get; set; }
}

public static class PersonFlags
{
    public const string Disability = "disability";
}

public sealed class PersonDef
{
    public string Pid { get; set; } = "";

    /// <summary>yyyy-MM-dd.</summary>
    public string BirthDate { get; set; } = "";

    public List<string> Flags { get; set; } = [];
    public bool AutoPointPay { get; set; } = true;
    public long OpeningValue { get; set; }
    public long OpeningPoints { get; set; }
}

public static class CardStatuses
{
    public const string Active = "active";
    public const string Lost = "lost";
}

public sealed class CardDef
{
    public string Uid { get; set; } = "";
    public string Tech { get; set; } = "";
    public string Pid { get; set; } = "";
    public string Status { get; set; } = CardStatuses.Active;

    /// <summary>How the card proves it is genuine: a <see cref="CardAuthKinds"/> value.</summary>
    public string Auth { get; set; } = CardAuthKinds.None;

    /// <summary>Which of the city's card master keys (<c>ingest run --card-keys</c>) the card was personalised under.</summary>
    public int KeyVersion { get; set; }
}

/// <summary>How a city card authenticates (registry <c>cards[].auth</c>).</summary>
public static class CardAuthKinds
{
    /// <summary>Identified by its UID only: a copy of the UID passes. Marked unauthenticated where operators see it.</summary>
    public const string None = "none";

    /// <summary>An NTAG 424 DNA whose every read carries a SUN message the ingest verifies (docs/contract.md §2).</summary>
    public const string Ntag424Sun = "ntag424-sun";

    public static bool IsKnown(string? auth) => auth is None or Ntag424Sun;
}

public static class DeviceRoles
{
    public const string Bus = "bus";
    public const string Event = "event";
    public const string Clinic = "clinic";

    public static bool IsKnown(string? role) => role is Bus or Event or Clinic;
}

public sealed class DeviceDef
{
    public string Id { get; set; } = "";
    public string Role { get; set; } = "";

    /// <summary>Hex device key; never logged, never sent (only MACs and the derived broker password travel).</summary>
    public string Key { get; set; } = "";

    public string? Site { get; set; }
    public string? Vehicle { get; set; }
    public string? Clinic { get; set; }
}

public static class EventSectors
{
    public const string Volunteer = "volunteer";
    public const string Health = "health";
}

public sealed class EventDef
{
    public string Id { get; set; } = "";
    public string Sector { get; set; } = "";
    public string? Name { get; set; }
    public DateTimeOffset Start { get; set; }
    public DateTimeOffset End { get; set; }
    public long Points { get; set; }
    public long? PointsPerHour { get; set; }
    public long? MaxPoints { get; set; }
    public List<string> Sites { get; set; } = [];
}

public sealed class ClinicDef
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
}
