using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Admin: the console's button for <c>POST /api/v1/cards/{tok}/enrollment</c> (audited the same way).</summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class EnrollmentModel(IngestQueries queries, CitizenAccounts accounts, AuditLog audit) : PageModel
{
    public const string Route = "/console/enrollment";

    public string? Code { get; private set; }

    public string? ExpiresAt { get; private set; }

    public string? Message { get; private set; }

    public void OnGet()
    {
    }

    public IActionResult OnPost(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || queries.FindCard(token.Trim()) is null)
        {
            audit.Record(User, "POST", Route, StatusCodes.Status404NotFound, []);
            Message = "このカードトークンはありません / Unknown card token";
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        (Code, DateTimeOffset expires) = accounts.Issue(token.Trim(), EnrollmentCode.DefaultLifetime);
        ExpiresAt = MyPageQueries.JstText(expires);
        audit.Record(User, "POST", Route, StatusCodes.Status200OK, [token.Trim()]);
        return Page();
    }
}
