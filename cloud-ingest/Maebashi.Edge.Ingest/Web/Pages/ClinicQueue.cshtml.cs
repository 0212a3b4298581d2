using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// clinic:&lt;id&gt; (and admin): the clinic's reception queue of a JST day, today's updating itself
/// (<see cref="ClinicQueue"/>); no other clinic's clerk and no other scope may see it.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleClinic)]
public sealed class ClinicQueueModel(IngestQueries queries, AuditLog audit, TimeProvider time) : ConsolePage
{
    public const string Route = "/console/clinics/{clinicId}/queue";

    public string ClinicName { get; private set; } = "";

    public string PagePath { get; private set; } = "";

    public string PollUrl { get; private set; } = "";

    public string Day { get; private set; } = "";

    public bool Live { get; private set; }

    public string Version { get; private set; } = "";

    public IReadOnlyList<QueueRow> Rows { get; private set; } = [];

    public IActionResult OnGet(string clinicId, [FromQuery(Name = "date")] string? date)
    {
        if (queries.FindClinic(clinicId) is not { } clinic)
        {
            return NotFound();
        }

        ClinicName = clinic.Name is { } name ? $"{name} ({clinic.Id})" : clinic.Id;
        PagePath = ClinicQueue.PagePath(clinic.Id);
        DateOnly today = JstText.Today(time);
        DateOnly day = today;
        if (date is not null)
        {
            if (JstText.ParseDay(date) is not { } asked)
            {
                Day = JstText.Day(today);
                return Bad("日付は YYYY-MM-DD で指定してください / date: expected YYYY-MM-DD (a JST calendar day)");
            }

            day = asked;
        }

        Day = JstText.Day(day);
        Live = day == today;
        PollUrl = ClinicQueue.JsonPath(clinic.Id) + QueryString.Create("date", Day).ToUriComponent();
        Rows = ClinicQueue.Rows(queries.CheckIns(clinic.Id, day));
        Version = ClinicQueue.Version(Rows);
        audit.Record(User, "GET", Route, StatusCodes.Status200OK, [.. Rows.Select(r => r.PatientNo)]);
        return Page();
    }
}
