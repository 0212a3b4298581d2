using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Admin: one quarantined payload exactly as the device sent it, as a download (never shown inline: it is whatever
/// a device or an intruder published). Audited, as it may carry card tokens.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
public sealed class QuarantinePayloadModel(IngestQueries queries, AuditLog audit) : PageModel
{
    public const string Route = "/console/quarantine/payload";

    /// <summary>Ids are a SHA-256 in hex, and for an event '#' and its seq.</summary>
    private const int MaxIdLength = 100;

    public IActionResult OnGet([FromQuery(Name = "id")] string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength || queries.FindQuarantine(id) is not { } record)
        {
            audit.Record(User, "GET", Route, StatusCodes.Status404NotFound, []);
            return NotFound();
        }

        audit.Record(User, "GET", Route, StatusCodes.Status200OK, [record.Id]);
        return File(record.Payload, "application/octet-stream", "quarantine-" + record.Id.Replace('#', '-') + ".bin");
    }
}
