using System.Globalization;
using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Admin: who read whose data and when (on any worker), newest first, optionally one operator's. Paged by a cursor
/// (the id of the page's last record), so any page costs the same however long the log has grown.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
public sealed class AuditModel(IngestQueries queries) : ConsolePage
{
    public const string Route = "/console/audit";

    /// <summary>Operator names are short; anything longer is not one.</summary>
    public const int MaxOperatorLength = 200;

    public string? Operator { get; private set; }

    public long? Before { get; private set; }

    public AuditPage? Entries { get; private set; }

    public IActionResult OnGet([FromQuery(Name = "operator")] string? @operator, [FromQuery(Name = "before")] string? before)
    {
        Operator = string.IsNullOrWhiteSpace(@operator) ? null : @operator.Trim();
        if (Operator is { Length: > MaxOperatorLength })
        {
            return Bad($"オペレーター名は{MaxOperatorLength}文字までです / The operator name is at most {MaxOperatorLength} characters");
        }

        if (before is not null)
        {
            if (!long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            {
                return Bad("before はページのリンクが示す位置です / before: expected the position a page link gives (a whole number from 0)");
            }

            Before = offset;
        }

        Entries = queries.Audit(Before, Pager.PageSize, Operator);
        return Page();
    }

    public string Href(long? before) =>
        Route + QueryString.Create(new KeyValuePair<string, string?>[] { new("operator", Operator), new("before", before?.ToString(CultureInfo.InvariantCulture)) }
            .Where(kv => kv.Value is not null)).ToUriComponent();
}
