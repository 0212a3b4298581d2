using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// The HTTP API of docs/contract.md §6 on 127.0.0.1: each route behind the policy of its sector (<see cref="ScopePolicies"/>);
/// no response carries a PID, a raw UID or another sector's ID; every read of a person's data is audited;
/// every error is a problem details document (RFC 9457).
/// </summary>
public static class IngestEndpoints
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void MapIngestApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (IngestQueries queries) =>
        {
            // Reading the store proves it answers; the process answering proves the rest.
            queries.CheckStoreAnswers();
            return Results.Json(new { status = "ok" }, Json);
        });
        app.MapGet("/api/v1/cards/{tok}/wallet", Wallet).RequireAuthorization(ScopePolicies.Wallet);
        app.MapGet($"/api/v1/clinics/{{{ScopePolicies.ClinicRouteValue}}}/checkins", CheckIns).RequireAuthorization(ScopePolicies.Clinic);
        app.MapGet("/api/v1/events/{eventId}/participants", Participants).RequireAuthorization(ScopePolicies.Welfare);
        app.MapGet("/api/v1/devices", Devices).RequireAuthorization(ScopePolicies.Admin);
        app.MapGet("/api/v1/quarantine", Quarantine).RequireAuthorization(ScopePolicies.Admin);
        app.MapGet(QuarantinePayloadRoute, QuarantinePayload).RequireAuthorization(ScopePolicies.Admin);
    }

    /// <summary>Records on a quarantine page when <c>limit</c> is not given, and the most it may ask for.</summary>
    public const int QuarantinePageSize = 100;

    public const int MaxQuarantinePageSize = 1000;

    /// <summary>Entries of a wallet answer by default (newest first; <c>?limit=</c> up to <see cref="MaxWalletEntriesPageSize"/>, <c>?before=</c> the previous answer's <c>entriesNext</c>).</summary>
    public const int WalletEntriesPageSize = 100;

    public const int MaxWalletEntriesPageSize = 1000;

    /// <summary>Trips of a wallet answer: whole service days, newest first, until at least this many (<c>?tripsBefore=</c> the previous answer's <c>tripsNext</c>).</summary>
    public const int WalletTripsPageSize = 100;

    private const string QuarantinePayloadRoute = "/api/v1/quarantine/{id}/payload";

    // The quarantine's page says "next": null on the last page, so its nulls are written.
    private static readonly JsonSerializerOptions JsonWithNulls = new(Json) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static IResult Wallet(string tok, string? limit, string? before, string? tripsBefore, ClaimsPrincipal user, IngestQueries queries, AuditLog audit)
    {
        if (PageArguments(limit, before, WalletEntriesPageSize, MaxWalletEntriesPageSize) is not (int pageSize, var cursor))
        {
            return PageProblem(limit, before, MaxWalletEntriesPageSize);
        }

        if (!TripPaging.TryParse(tripsBefore, out DateOnly? tripsCursor))
        {
            return Problem(StatusCodes.Status400BadRequest, $"{TripPaging.Parameter}: expected the 'tripsNext' of the previous answer (a service day, YYYY-MM-DD), got '{Clip(tripsBefore ?? "")}'");
        }

        CardEntry? card = queries.FindCard(tok);
        if (card is null)
        {
            audit.Record(user, "GET", "/api/v1/cards/{tok}/wallet", 404, [tok]);
            return Problem(StatusCodes.Status404NotFound, "unknown card token");
        }

        PersonState s = queries.WalletOf(card.Pid);
        WalletEntryPage entries = queries.EntriesPage(card.Pid, cursor, pageSize);
        TripPage trips = queries.TripsPage(card.Pid, tripsCursor, WalletTripsPageSize);
        audit.Record(user, "GET", "/api/v1/cards/{tok}/wallet", 200, [tok]);
        return Results.Json(new
        {
            value = s.Value,
            points = s.Points,
            pointsBySource = new { bus = s.PointsBus, volunteer = s.PointsVolunteer, health = s.PointsHealth },
            inDebt = s.InDebt,
            tripsNext = trips.Next is { } next ? TripPaging.Format(next) : null,
            trips = trips.Items.Select(t => new
            {
                route = t.Route,
                vehicle = t.Vehicle,
                boardStop = t.BoardStop,
                boardAt = t.BoardAt,
                alightStop = t.AlightStop,
                alightAt = t.AlightAt,
                close = t.Close,
                category = t.Category,
                adultFare = t.AdultFare,
                categoryFare = t.CategoryFare,
                transferDiscount = t.TransferDiscount,
                capReduction = t.CapReduction,
                charge = t.Charge,
                transfer = t.Transfer,
                serviceDay = t.ServiceDay,
            }),
            entriesTotal = entries.Total,
            entriesNext = entries.Next,
            entries = entries.Items.Select(e => new
            {
                at = e.At,
                recordedAt = e.RecordedAt,
                kind = e.Kind,
                key = e.Key,
                value = e.Value,
                points = e.Points,
                source = e.Source,
                description = e.Description,
                adjustment = e.Adjustment,
            }),
        }, Json);
    }

    private static IResult CheckIns(string clinicId, string? date, ClaimsPrincipal user, IngestQueries queries, AuditLog audit)
    {
        if (queries.FindClinic(clinicId) is null)
        {
            return Problem(StatusCodes.Status404NotFound, "unknown clinic");
        }

        if (date is null || !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day))
        {
            return Problem(StatusCodes.Status400BadRequest, "date: expected ?date=YYYY-MM-DD (JST calendar day)");
        }

        IReadOnlyList<CheckInRecord> rows = queries.CheckIns(clinicId, day);
        audit.Record(user, "GET", "/api/v1/clinics/{clinicId}/checkins", 200, [.. rows.Select(r => r.PatientNo)]);
        return Results.Json(new
        {
            clinic = clinicId,
            date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            checkins = rows.Select(r => new
            {
                patientNo = r.PatientNo,
                queue = r.Queue,
                childMedicalSubsidy = r.ChildMedicalSubsidy,
                time = r.At.ToOffset(Jst),
            }),
        }, Json);
    }

    private static IResult Participants(string eventId, ClaimsPrincipal user, IngestQueries queries, AuditLog audit)
    {
        EventDef? ev = queries.FindEvent(eventId);
        if (ev is null)
        {
            return Problem(StatusCodes.Status404NotFound, "unknown event");
        }

        IReadOnlyList<ParticipationRecord> rows = queries.Participations(eventId);
        audit.Record(user, "GET", "/api/v1/events/{eventId}/participants", 200, [.. rows.Select(r => r.SectorId)]);
        return Results.Json(new
        {
            @event = ev.Id,
            sector = ev.Sector,
            participants = rows.Select(r => new { sectorId = r.SectorId, @in = r.In, @out = r.Out, points = r.Points }),
        }, Json);
    }

    private static IResult Devices(IngestQueries queries) =>
        Results.Json(queries.Devices().Select(v => new
        {
            id = v.Device.Id,
            role = v.Device.Role,
            lastSeen = v.Progress?.LastSeen,
            lastSeq = v.Progress?.UpTo,
            eventsApplied = v.Progress?.EventsApplied ?? 0,
            backlog = v.Status?.Backlog,
            firmware = v.Status?.Firmware,
            state = v.Status?.State,
            online = v.Online,
            statusAt = v.Status?.At,
        }), Json);

    /// <summary>A keyset page's <c>limit</c> (absent: <paramref name="size"/>) and <c>before</c> cursor (absent: the first page), or null when either is bad.</summary>
    private static (int Limit, long? Before)? PageArguments(string? limit, string? before, int size, int max)
    {
        int pageSize = size;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > max))
        {
            return null;
        }

        if (before is null)
        {
            return (pageSize, null);
        }

        return long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out long b) && b >= 1 ? (pageSize, b) : null;
    }

    /// <summary>The 400 naming which of a page's arguments <see cref="PageArguments"/> refused.</summary>
    private static IResult PageProblem(string? limit, string? before, int max) =>
        limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > max)
            ? Problem(StatusCodes.Status400BadRequest, $"limit: expected a whole number from 1 to {max}, got '{Clip(limit)}'")
            : Problem(StatusCodes.Status400BadRequest, $"before: expected the 'next' of the previous page (a whole number from 1), got '{Clip(before ?? "")}'");

    private static IResult Quarantine(string? limit, string? before, string? device, string? code, IngestQueries queries)
    {
        if (PageArguments(limit, before, QuarantinePageSize, MaxQuarantinePageSize) is not (int pageSize, var beforeId))
        {
            return PageProblem(limit, before, MaxQuarantinePageSize);
        }

        foreach ((string name, string? value) in new[] { ("device", device), ("code", code) })
        {
            if (value is { Length: 0 or > QuarantineLimits.MaxNameLength })
            {
                return Problem(StatusCodes.Status400BadRequest, $"{name}: expected 1 to {QuarantineLimits.MaxNameLength} characters, got {value.Length}");
            }
        }

        QuarantinePage page = queries.Quarantine(new QuarantineQuery(device, code, beforeId, pageSize));
        return Results.Json(new
        {
            items = page.Items.Select(q => new
            {
                id = q.Id,
                kind = q.Kind,
                device = q.Device,
                code = q.Code,
                reason = q.Reason,
                seq = q.Seq,
                at = q.At,
                size = q.Size,
                sha256 = q.Sha256,
                repeats = q.Repeats,
            }),
            next = page.Next,
        }, JsonWithNulls);
    }

    /// <summary>One record's payload as kept (card proofs redacted, cut at the limit), as a download; audited like the console's.</summary>
    private static IResult QuarantinePayload(string id, ClaimsPrincipal user, IngestQueries queries, AuditLog audit)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long recordId) || queries.QuarantinePayload(recordId) is not { } payload)
        {
            audit.Record(user, "GET", QuarantinePayloadRoute, StatusCodes.Status404NotFound, []);
            return Problem(StatusCodes.Status404NotFound, "unknown quarantine record");
        }

        audit.Record(user, "GET", QuarantinePayloadRoute, StatusCodes.Status200OK, [id]);
        return Results.File(payload, "application/octet-stream", QuarantineDownload.FileName(recordId));
    }

    /// <summary>What of a bad value an error repeats: enough to recognise it, never a whole request's worth.</summary>
    private static string Clip(string value) => value.Length > 20 ? value[..20] + "…" : value;

}
