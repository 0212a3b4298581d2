using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Web.Transport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Transport and admin: one service day's revenue and ridership per route, boardings per stop, the origin–destination
/// pairs, and the trips without a tap-off, capped and transferred, each with its CSV export for any range of days.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleTransport)]
public sealed class TransportModel(TransportReports reports, AuditLog audit, TimeProvider time) : ConsolePage
{
    public const string Route = "/console/transport";

    public DateOnly Day { get; private set; }

    public TransportReport? Report { get; private set; }

    public IActionResult OnGet([FromQuery] string? day)
    {
        // The service day runs 03:00–03:00 JST: just after midnight the day still running is yesterday's.
        Day = WalletRules.ServiceDay(time.GetUtcNow());
        if (day is not null)
        {
            if (JstText.ParseDay(day) is not { } asked)
            {
                return Bad("営業日は YYYY-MM-DD で指定してください / day: expected YYYY-MM-DD (a service day)");
            }

            Day = asked;
        }

        string serviceDay = JstText.Day(Day);
        Report = reports.For(serviceDay);
        audit.Record(User, "GET", Route, StatusCodes.Status200OK, []);
        return Page();
    }
}
