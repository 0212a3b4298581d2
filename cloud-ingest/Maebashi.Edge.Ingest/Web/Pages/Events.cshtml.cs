using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Welfare (and admin): the registry's events, latest first, with participants and points issued, and totals per source.</summary>
[Authorize(Policy = ScopePolicies.ConsoleWelfare)]
public sealed class EventsModel(IngestQueries queries) : ConsolePage
{
    public const string Route = "/console/events";

    public sealed record SourceTotal(string Source, int Events, int Participants, long Points);

    public IReadOnlyList<EventSummary> Rows { get; private set; } = [];

    public IReadOnlyList<SourceTotal> Sources { get; private set; } = [];

    public Pager? Pager { get; private set; }

    public IActionResult OnGet([FromQuery(Name = Web.Pager.Parameter)] string? p)
    {
        if (Web.Pager.Parse(p) is not { } page)
        {
            return Bad(Web.Pager.BadPageMessage);
        }

        IReadOnlyList<EventSummary> all = queries.Events();
        Sources =
        [
            .. all.GroupBy(e => e.Event.Sector, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new SourceTotal(g.Key, g.Count(), g.Sum(e => e.Participants), g.Sum(e => e.Points))),
        ];
        Pager = Web.Pager.For(page, all.Count, Route, []);
        Rows = [.. all.Skip(Pager.Skip).Take(Web.Pager.PageSize)];
        return Page();
    }

    public static string ParticipantsPath(string eventId) => $"{Route}/{Uri.EscapeDataString(eventId)}";

    public static string DescribeSource(string source) => source switch
    {
        EventSectors.Volunteer => "ボランティア / Volunteer",
        EventSectors.Health => "健康 / Health",
        _ => source,
    };
}
