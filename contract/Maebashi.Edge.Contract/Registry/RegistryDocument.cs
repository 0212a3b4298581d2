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
}

public sealed class StopDef
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public int? Zone { get; set; }
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
