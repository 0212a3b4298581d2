using System.Globalization;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages.My;

/// <summary>
/// The signed-in citizen's own page: wallet, trips with their fare reasoning, entries, check-ins, events, cards with
/// "report lost", who read their data, and notices. Only their own person is ever looked up.
/// </summary>
[Authorize(Policy = MyPageHosting.Policy)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class MyIndexModel(MyPageQueries queries, IngestPipeline pipeline, AuditLog audit, Notices.CityNotices notices) : PageModel
{
    /// <summary>The city's notices shown now, urgent first.</summary>
    public IReadOnlyList<Notices.CityNotice> Notices { get; private set; } = [];

    /// <summary>The route the audit log names a report of a lost card by.</summary>
    public const string ReportLostRoute = "/my/cards/lost";

    /// <summary>Who the audit log says acted when the card's holder reported it from My Page.</summary>
    public const string SelfScope = "citizen";

    public MyView View { get; private set; } = null!;

    public string? Message { get; private set; }

    /// <summary>The query parameter naming a page of entries: the cursor the link to it carries (absent: the newest).</summary>
    public const string EntriesParameter = "before";

    /// <summary>The message a page of entries out of bounds gets (400).</summary>
    public const string BadEntriesPageMessage = "明細のページ指定（before）は1以上の整数です / The page of entries (before) is a whole number from 1";

    /// <summary>The page of entries shown: null for the newest.</summary>
    public long? EntriesBefore { get; private set; }

    /// <summary>The page of trips shown: null for the newest.</summary>
    public DateOnly? TripsBefore { get; private set; }

    public IActionResult OnGet([FromQuery(Name = EntriesParameter)] string? before, [FromQuery(Name = TripPaging.Parameter)] string? tripsBefore)
    {
        if (!TripPaging.TryParse(tripsBefore, out DateOnly? tripsCursor))
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Message = TripPaging.BadCursorMessage;
            return Show();
        }

        TripsBefore = tripsCursor;
        if (before is null)
        {
            return Show();
        }

        if (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out long cursor) && cursor >= 1)
        {
            EntriesBefore = cursor;
            return Show();
        }

        Response.StatusCode = StatusCodes.Status400BadRequest;
        Message = BadEntriesPageMessage;
        return Show();
    }

    public override void OnPageHandlerExecuting(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context) => Notices = notices.Shown();

    public IActionResult OnPostReportLost(string? token)
    {
        string login = User.Identity!.Name!;
        if (queries.OwnCard(login, token) is not CardEntry card)
        {
            // Not one of theirs (or no such card): the same answer either way, so nothing about other cards leaks.
            Response.StatusCode = StatusCodes.Status404NotFound;
            Message = "このカードはありません / No such card";
            return Show();
        }

        CardStatusOutcome outcome = pipeline.SetCardStatus(card.Token, CardRunStatus.Lost);
        audit.Record("本人 / self", SelfScope, "POST", ReportLostRoute, StatusCodes.Status200OK, [card.Token]);
        Message = $"紛失届を受け付けました。このカードは利用停止になりました（拒否リスト 第{outcome.DenyVersion}版） / Reported lost: the card is blocked (deny list version {outcome.DenyVersion})";
        return Show();
    }

    private IActionResult Show()
    {
        if (queries.For(User.Identity!.Name!, EntriesBefore, TripsBefore) is not { } view)
        {
            // The account was replaced by a new enrollment between the cookie's check and here: sign in again.
            return LocalRedirect(MyPageHosting.SignInPath);
        }

        View = view;
        return Page();
    }
}
