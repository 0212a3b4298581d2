using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>The fleet, for every scope: each device's health, those offline too long first.</summary>
[Authorize(Policy = ScopePolicies.ConsoleOperator)]
public sealed class FleetModel(IngestQueries queries, TimeProvider time) : PageModel
{
    public IReadOnlyList<FleetRow> Rows { get; private set; } = [];

    public void OnGet() => Rows = FleetRow.Of(queries.Devices(), time.GetUtcNow());
}
