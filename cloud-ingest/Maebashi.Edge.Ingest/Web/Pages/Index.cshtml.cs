using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>The fleet, for every scope: the buses on their routes' lines, then each device's health, those offline too long first.</summary>
[Authorize(Policy = ScopePolicies.ConsoleOperator)]
public sealed class FleetModel(IngestQueries queries, BusLocations buses, TimeProvider time) : PageModel
{
    public IReadOnlyList<FleetRow> Rows { get; private set; } = [];

    /// <summary>The routes with a bus on them, each drawn as a line of its stops.</summary>
    public IReadOnlyList<RouteLine> Lines { get; private set; } = [];

    /// <summary>Buses with a fresh position on no route of the registry.</summary>
    public IReadOnlyList<LineBus> OffRoute { get; private set; } = [];

    public void OnGet()
    {
        DateTimeOffset now = time.GetUtcNow();
        Rows = FleetRow.Of(queries.Devices(), now);
        (Lines, OffRoute) = RouteLine.Of(buses.At(now));
    }
}
