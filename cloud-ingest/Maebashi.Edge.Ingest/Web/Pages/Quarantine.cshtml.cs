using System.Globalization;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Admin: quarantined batches and events, newest first, filtered by device and reason code, each payload a download.</summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
public sealed class QuarantineModel(IngestQueries queries) : ConsolePage
{
    public const string Route = "/console/quarantine";

    /// <summary>Device ids and reason codes are short words; a longer filter is not one.</summary>
    public const int MaxFilterLength = 100;

    public string? Device { get; private set; }

    public string? Code { get; private set; }

    public IReadOnlyList<QuarantineRow> Rows { get; private set; } = [];

    public Pager? Pager { get; private set; }

    public IActionResult OnGet(
        [FromQuery(Name = "device")] string? device,
        [FromQuery(Name = "code")] string? code,
        [FromQuery(Name = Web.Pager.Parameter)] string? p)
    {
        Device = string.IsNullOrWhiteSpace(device) ? null : device.Trim();
        Code = string.IsNullOrWhiteSpace(code) ? null : code.Trim();
        if (Device is { Length: > MaxFilterLength } || Code is { Length: > MaxFilterLength })
        {
            return Bad($"端末と理由コードは{MaxFilterLength}文字までです / device and code are at most {MaxFilterLength} characters");
        }

        if (Web.Pager.Parse(p) is not { } page)
        {
            return Bad(Web.Pager.BadPageMessage);
        }

        var filter = new QuarantineFilter(Device, Code);
        long total = queries.Quarantine(filter, 0, 0).Total;
        Pager = Web.Pager.For(page, total, Route, [new("device", Device), new("code", Code)]);
        Rows =
        [
            .. queries.Quarantine(filter, Pager.Skip, Web.Pager.PageSize).Items.Select(q => new QuarantineRow(
                q.Id,
                JstText.Time(q.At),
                q.Device,
                q.Scope,
                q.Seq?.ToString(CultureInfo.InvariantCulture) ?? "—",
                q.Code,
                q.Reason,
                q.Payload.Length,
                QuarantinePayloadModel.Route + QueryString.Create("id", q.Id).ToUriComponent())),
        ];
        return Page();
    }
}
