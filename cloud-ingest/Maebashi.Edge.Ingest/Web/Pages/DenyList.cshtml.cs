using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
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

    /// <summary>How the card proves itself, for the row's <c>data-auth</c>.</summary>
    public static string AuthKind(DenyListRow r) =>
        r.Tech == CardTech.Jpki ? CardTechs.Jpki : r.Authenticated ? CardAuthKinds.Ntag424Sun : CardAuthKinds.None;

    /// <summary>How the card proves itself, as operators read it: a My Number card by its certificate after the PIN.</summary>
    public static string DescribeAuth(DenyListRow r) =>
        r.Tech == CardTech.Jpki ? "電子証明書と暗証番号（マイナンバーカード） / Certificate and PIN (My Number card)"
        : r.Authenticated ? "SUN 認証 / SUN authenticated"
        : "未認証（UIDのみ） / Unauthenticated (UID only)";

    public static string Describe(DenyReason reason) => reason switch
    {
        DenyReason.Lost => "紛失 / Lost",
        DenyReason.Debt => "未払い / Debt",
        DenyReason.Clone => "複製の疑い / Suspected clone",
        _ => reason.ToString(),
    };
}
