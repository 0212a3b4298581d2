using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Welfare (and admin): an event's participants by the event's sector ID (never a PID), paged; audited.</summary>
[Authorize(Policy = ScopePolicies.ConsoleWelfare)]
public sealed class EventParticipantsModel(IngestQueries queries, AuditLog audit) : ConsolePage
{
    public const string Route = "/console/events/{eventId}";

    public string EventName { get; private set; } = "";

    public long Points { get; private set; }

    public IReadOnlyList<ParticipationRecord> Rows { get; private set; } = [];

    public Pager? Pager { get; private set; }

    public IActionResult OnGet(string eventId, [FromQuery(Name = Web.Pager.Parameter)] string? p)
    {
        if (queries.FindEvent(eventId) is not { } ev)
        {
            return NotFound();
        }

        EventName = ev.Name is { } name ? $"{name} ({ev.Id})" : ev.Id;
        if (Web.Pager.Parse(p) is not { } page)
        {
            return Bad(Web.Pager.BadPageMessage);
        }

        IReadOnlyList<ParticipationRecord> all = queries.Participations(ev.Id);
        Points = all.Sum(r => r.Points);
        Pager = Web.Pager.For(page, all.Count, EventsModel.ParticipantsPath(ev.Id), []);
        Rows = [.. all.Skip(Pager.Skip).Take(Web.Pager.PageSize)];
        audit.Record(User, "GET", Route, StatusCodes.Status200OK, [.. Rows.Select(r => r.SectorId)]);
        return Page();
    }
}
