using System.Globalization;
using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Admin: one quarantined payload as kept (card proofs redacted, the first bytes of a large one), as a download (never shown inline: it is whatever
/// a device or an intruder published). Audited, as it may carry card tokens.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
public sealed class QuarantinePayloadModel(IngestQueries queries, AuditLog audit) : PageModel
{
    public const string Route = "/console/quarantine/payload";

    public IActionResult OnGet([FromQuery(Name = "id")] string? id)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long recordId) || queries.QuarantinePayload(recordId) is not { } payload)
        {
            audit.Record(User, "GET", Route, StatusCodes.Status404NotFound, []);
            return NotFound();
        }

        audit.Record(User, "GET", Route, StatusCodes.Status200OK, [id!]);
        return File(payload, "application/octet-stream", QuarantineDownload.FileName(recordId));
    }
}
