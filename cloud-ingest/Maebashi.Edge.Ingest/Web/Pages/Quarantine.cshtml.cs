using System.Globalization;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Admin: quarantined batches and events, newest first, filtered by device and reason code, each payload a download.
/// Paged by a cursor (the id the page stopped at), so a page costs the same however full the quarantine is.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
public sealed class QuarantineModel(IngestQueries queries, IOptions<IngestOptions> options) : ConsolePage
{
    public const string Route = "/console/quarantine";

    /// <summary>Device ids and reason codes are short words; a longer filter is not one.</summary>
    public const int MaxFilterLength = QuarantineLimits.MaxNameLength;

    /// <summary>The message a <c>before</c> that no page link gives gets (400).</summary>
    public const string BadBeforeMessage = "before はページのリンクが示す位置です / before: expected the position a page link gives (a whole number from 1)";

    public string? Device { get; private set; }

    public string? Code { get; private set; }

    public long? Before { get; private set; }

    /// <summary>The <c>before</c> of the next, older page; null on the last.</summary>
    public long? Older { get; private set; }

    public IReadOnlyList<QuarantineRow> Rows { get; private set; } = [];

    /// <summary>The most bytes of a payload a record keeps (a download of a larger one holds its first bytes).</summary>
    public int PayloadBytesKept => options.Value.QuarantinePayloadBytes;

    public IActionResult OnGet(
        [FromQuery(Name = "device")] string? device,
        [FromQuery(Name = "code")] string? code,
        [FromQuery(Name = "before")] string? before)
    {
        Device = string.IsNullOrWhiteSpace(device) ? null : device.Trim();
        Code = string.IsNullOrWhiteSpace(code) ? null : code.Trim();
        if (Device is { Length: > MaxFilterLength } || Code is { Length: > MaxFilterLength })
        {
            return Bad($"端末と理由コードは{MaxFilterLength}文字までです / device and code are at most {MaxFilterLength} characters");
        }

        if (before is not null)
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out long b) || b < 1)
            {
                return Bad(BadBeforeMessage);
            }

            Before = b;
        }

        QuarantinePage page = queries.Quarantine(new QuarantineQuery(Device, Code, Before, Pager.PageSize));
        Older = page.Next;
        Rows =
        [
            .. page.Items.Select(q => new QuarantineRow(
                q.Id.ToString(CultureInfo.InvariantCulture),
                JstText.Time(q.At),
                q.Device,
                q.Kind == QuarantineKind.Batch ? "batch" : "event",
                q.Seq?.ToString(CultureInfo.InvariantCulture) ?? "—",
                q.Code,
                q.Reason,
                q.Size,
                q.Repeats,
                q.Sha256,
                QuarantinePayloadModel.Route + QueryString.Create("id", q.Id.ToString(CultureInfo.InvariantCulture)).ToUriComponent())),
        ];
        return Page();
    }

    public string Href(long? before) =>
        Route + QueryString.Create(new KeyValuePair<string, string?>[] { new("device", Device), new("code", Code), new("before", before?.ToString(CultureInfo.InvariantCulture)) }
            .Where(kv => kv.Value is not null)).ToUriComponent();
}
