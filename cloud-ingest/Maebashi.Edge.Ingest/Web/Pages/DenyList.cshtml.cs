using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Admin: the cards on the deny list by token and transport sector ID, why each is there, and the list's version.</summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
public sealed class DenyListModel(IngestQueries queries, AuditLog audit) : ConsolePage
{
    public const string Route = "/console/denylist";

    public DenyListPage? List { get; private set; }

    public Pager? Pager { get; private set; }

    /// <summary>The newest travel reviews (a card's taps too far apart for the time between them): to look at, not denied.</summary>
    public IReadOnlyList<Pipeline.TravelReviewEntry> Reviews { get; private set; } = [];

    /// <summary>How many reviews the page shows.</summary>
    public const int ReviewsShown = 20;

    public IActionResult OnGet([FromQuery(Name = Pager.Parameter)] string? p)
    {
        if (Web.Pager.Parse(p) is not { } page)
        {
            return Bad(Web.Pager.BadPageMessage);
        }

        int total = queries.DenyList(0, 0).Total;
        Pager = Web.Pager.For(page, total, Route, []);
        List = queries.DenyList(Pager.Skip, Web.Pager.PageSize);
        Reviews = [.. queries.TravelReviews().Take(ReviewsShown)];
        audit.Record(User, "GET", Route, StatusCodes.Status200OK, [.. List.Rows.Select(r => r.Token)]);
        return Page();
    }

    public static string Describe(DenyReason reason) => reason switch
    {
        DenyReason.Lost => "紛失 / Lost",
        DenyReason.Debt => "未払い / Debt",
        DenyReason.Clone => "複製の疑い / Suspected clone",
        _ => reason.ToString(),
    };
}
