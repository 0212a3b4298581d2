namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>What the import takes from a feed, each record with the line it came from (for problems later on).</summary>
public sealed class GtfsFeed
{
    public List<GtfsAgency> Agencies { get; } = [];
    public List<GtfsRoute> Routes { get; } = [];

    /// <summary>Stops and platforms (location_type 0) by stop_id; stations and entrances are not kept.</summary>
    public Dictionary<string, GtfsStop> Stops { get; } = new(StringComparer.Ordinal);

    public List<GtfsTrip> Trips { get; } = [];
    public Dictionary<string, GtfsFare> Fares { get; } = new(StringComparer.Ordinal);
    public List<GtfsFareRule> FareRules { get; } = [];
    public GtfsTranslations Translations { get; } = new();

    /// <summary>The last day the feed covers (feed_info.txt, else the last calendar.txt end_date), with where it was read.</summary>
    public (DateOnly Date, string Source)? EndDate { get; set; }
}

public sealed record GtfsAgency(string Id, string Name, string? Url, string? Phone, int Line)
{
    public string? OfficialName { get; set; }
}

public sealed record GtfsRoute(string Id, string AgencyId, string Name, string NameField, int Line);

public sealed record GtfsStop(string Id, string Name, double Lat, double Lon, string? PlatformCode, string? ZoneId, int Line);

/// <summary>A trip with the stops it calls at, in stop_sequence order.</summary>
public sealed record GtfsTrip(string Id, string RouteId, int Direction, string? Headsign, int Line)
{
    public List<(int Sequence, string StopId)> Calls { get; } = [];
}

public sealed record GtfsFare(string Id, long Price, string? AgencyId, int Line);

public sealed record GtfsFareRule(string FareId, string? RouteId, string? OriginId, string? DestinationId, int Line);
