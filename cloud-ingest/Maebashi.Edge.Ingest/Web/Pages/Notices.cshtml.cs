using System.Globalization;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Web.Notices;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Admin: the city's notices to citizens (お知らせ) — post one, urgent or not, and withdraw it; audited.</summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class NoticesModel(CityNotices notices, AuditLog audit) : ConsolePage
{
    public const string Route = "/console/notices";

    public IReadOnlyList<CityNotice> All { get; private set; } = [];

    public string? Done { get; private set; }

    public void OnGet() => All = notices.All();

    public IActionResult OnPost(string? kind, string? title, string? body, string? until)
    {
        DateTimeOffset? end = null;
        if (!string.IsNullOrWhiteSpace(until))
        {
            if (JstText.ParseDay(until) is not { } day)
            {
                All = notices.All();
                return Bad("掲載終了日は YYYY-MM-DD です / until: expected YYYY-MM-DD");
            }

            // Shown through that JST day.
            end = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), JstText.Offset);
        }

        (CityNotice? posted, string? problem) = notices.Post(kind == "urgent" ? NoticeKind.Urgent : NoticeKind.Normal, title, body, end, OperatorClaims.NameOf(User));
        All = notices.All();
        audit.Record(User, "POST", Route, posted is null ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK, []);
        if (posted is null)
        {
            return Bad(problem!);
        }

        Done = $"お知らせ {posted.Id} を掲載しました / Notice {posted.Id} posted";
        return Page();
    }

    public IActionResult OnPostWithdraw(string? id)
    {
        bool done = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && notices.Withdraw(n);
        All = notices.All();
        audit.Record(User, "POST", Route + " (withdraw)", done ? StatusCodes.Status200OK : StatusCodes.Status404NotFound, []);
        if (!done)
        {
            return Fail(StatusCodes.Status404NotFound, "そのお知らせはありません / No such notice shown");
        }

        Done = $"お知らせ {n} を取り下げました / Notice {n} withdrawn";
        return Page();
    }
}
