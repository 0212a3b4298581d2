using System.Security.Cryptography;
using System.Text;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>A check-in as the reception queue shows it: no PID, the clinic's own patient number.</summary>
public sealed record QueueRow(int Queue, string PatientNo, bool ChildMedicalSubsidy, string Time, bool MyNumber = false)
{
    public string SubsidyText => ChildMedicalSubsidy ? "対象 / Eligible" : "対象外 / Not eligible";

    /// <summary>How the patient was identified: a My Number card verified (certificate and PIN), or a card read.</summary>
    public string IdentityText => MyNumber ? "マイナンバーカード（電子証明書・暗証番号で確認） / My Number card (certificate and PIN verified)" : "カード / Card";
}

/// <summary>
/// A clinic's reception queue for one JST day, and its JSON under <c>/console/clinics/{clinicId}/queue.json</c> that the
/// page's script polls (with the session cookie) so new check-ins appear without a reload.
/// </summary>
public static class ClinicQueue
{
    public const string JsonRoute = "/console/clinics/{" + ScopePolicies.ClinicRouteValue + "}/queue.json";

    /// <summary>How often the page asks for new check-ins: within the 2 s a new one must take to appear.</summary>
    public const int PollMilliseconds = 1000;

    public static string PagePath(string clinicId) => $"/console/clinics/{Uri.EscapeDataString(clinicId)}/queue";

    public static string JsonPath(string clinicId) => PagePath(clinicId) + ".json";

    public static IReadOnlyList<QueueRow> Rows(IReadOnlyList<CheckInRecord> checkIns) =>
        [.. checkIns.OrderBy(c => c.Queue).Select(c => new QueueRow(c.Queue, c.PatientNo, c.ChildMedicalSubsidy, JstText.Clock(c.At), c.MyNumber))];

    /// <summary>
    /// A short digest of the rows: a poll that sends the version it shows gets no rows back when nothing changed, so
    /// an open reception screen reads (and audits) the patients' data only when the queue changes.
    /// </summary>
    public static string Version(IReadOnlyList<QueueRow> rows)
    {
        var text = new StringBuilder();
        foreach (QueueRow r in rows)
        {
            text.Append(r.Queue).Append('|').Append(r.PatientNo).Append('|').Append(r.ChildMedicalSubsidy).Append('|').Append(r.Time).Append('|').Append(r.MyNumber).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));
    }

    public static void MapClinicQueue(this IEndpointRouteBuilder app) =>
        app.MapGet(JsonRoute, Poll).RequireAuthorization(ScopePolicies.ConsoleClinic);

    private static IResult Poll(HttpContext http, string clinicId, string? date, string? v, IngestQueries queries, AuditLog audit, TimeProvider time)
    {
        if (queries.FindClinic(clinicId) is null)
        {
            return Results.Problem(detail: "unknown clinic", statusCode: StatusCodes.Status404NotFound);
        }

        DateOnly day = JstText.Today(time);
        if (date is not null)
        {
            if (JstText.ParseDay(date) is not { } asked)
            {
                return Results.Problem(detail: "date: expected ?date=YYYY-MM-DD (JST calendar day)", statusCode: StatusCodes.Status400BadRequest);
            }

            day = asked;
        }

        IReadOnlyList<QueueRow> rows = Rows(queries.CheckIns(clinicId, day));
        string version = Version(rows);
        bool changed = version != v;
        if (changed)
        {
            audit.Record(http.User, "GET", JsonRoute, StatusCodes.Status200OK, [.. rows.Select(r => r.PatientNo)]);
        }

        return Results.Json(new
        {
            clinic = clinicId,
            date = JstText.Day(day),
            version,
            changed,
            checkins = changed
                ? rows.Select(r => new { queue = r.Queue, patientNo = r.PatientNo, childMedicalSubsidy = r.ChildMedicalSubsidy, subsidy = r.SubsidyText, time = r.Time, myNumber = r.MyNumber, identity = r.IdentityText })
                : null,
        });
    }
}
