using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// The HTTP API of docs/contract.md §6 on 127.0.0.1: bearer tokens per scope, each scope seeing only its sector;
/// no response carries a PID, a raw UID or another sector's ID; every read of a person's data is audited.
/// </summary>
public sealed class HttpApi : IAsyncDisposable
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IngestPipeline _pipeline;
    private readonly IReadOnlyList<Operator> _operators;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public HttpApi(IngestPipeline pipeline, IReadOnlyList<Operator> operators, AuditLog audit, TimeProvider time, ILogger logger)
    {
        _pipeline = pipeline;
        _operators = operators;
        _audit = audit;
        _time = time;
        _logger = logger;
    }

    public int Port { get; private set; }

    public async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        WebApplication app = builder.Build();
        Map(app);
        await app.StartAsync(cancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        _app = app;
        _logger.LogInformation("HTTP API listening on 127.0.0.1:{Port}", Port);
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/healthz", () =>
        {
            // Reading the store proves it answers; the process answering proves the rest.
            _pipeline.Store.GetMeta("denyVersion");
            return Results.Json(new { status = "ok" }, Json);
        });
        app.MapGet("/metrics", () => Results.Text(_pipeline.Metrics.Render(), "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8));
        app.MapGet("/api/v1/cards/{tok}/wallet", Wallet);
        app.MapPost("/api/v1/cards/{tok}/charge", Charge);
        app.MapGet("/api/v1/clinics/{clinicId}/checkins", CheckIns);
        app.MapGet("/api/v1/events/{eventId}/participants", Participants);
        app.MapGet("/api/v1/devices", Devices);
        app.MapGet("/api/v1/quarantine", Quarantine);
    }

    /// <summary>401 without a known token, 403 when the scope is outside the resource's sector.</summary>
    private IResult? Authorize(HttpContext ctx, Func<string, bool> allowed, out Operator op)
    {
        op = null!;
        string? header = ctx.Request.Headers.Authorization;
        string? token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        Operator? found = OperatorsFile.Find(_operators, token);
        if (found is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return Problem(StatusCodes.Status401Unauthorized, token is null ? "missing bearer token" : "unknown token");
        }

        op = found;
        return allowed(found.Scope) ? null : Problem(StatusCodes.Status403Forbidden, $"scope '{found.Scope}' may not read this sector");
    }

    private static IResult Problem(int status, string message) => Results.Json(new { error = message }, Json, statusCode: status);

    private static bool WalletScopes(string scope) => scope is Operator.Admin or SectorId.Transport or SectorId.Welfare;

    private IResult Wallet(HttpContext ctx, string tok)
    {
        if (Authorize(ctx, WalletScopes, out Operator op) is { } denied)
        {
            return denied;
        }

        CardEntry? card = _pipeline.Registry.FindCard(tok);
        if (card is null)
        {
            _audit.Record(op, "GET", "/api/v1/cards/{tok}/wallet", 404, [tok]);
            return Problem(StatusCodes.Status404NotFound, "unknown card token");
        }

        PersonState s = _pipeline.WalletOf(card.Pid);
        IReadOnlyList<WalletEntry> entries = _pipeline.Store.EntriesOf(card.Pid);
        _audit.Record(op, "GET", "/api/v1/cards/{tok}/wallet", 200, [tok]);
        return Results.Json(new
        {
            value = s.Value,
            points = s.Points,
            pointsBySource = new { bus = s.PointsBus, volunteer = s.PointsVolunteer, health = s.PointsHealth },
            inDebt = s.InDebt,
            trips = s.Trips.Select(t => new
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
                charge = t.Charge,
                transfer = t.Transfer,
                serviceDay = t.ServiceDay,
            }),
            entries = entries.Select(e => new
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

    private sealed class ChargeRequest
    {
        public long? Amount { get; set; }
        public string? Receipt { get; set; }
    }

    private async Task<IResult> Charge(HttpContext ctx, string tok)
    {
        if (Authorize(ctx, s => s is Operator.Admin or SectorId.Transport, out Operator op) is { } denied)
        {
            return denied;
        }

        ChargeRequest? req;
        try
        {
            req = await JsonSerializer.DeserializeAsync<ChargeRequest>(ctx.Request.Body, Json, ctx.RequestAborted);
        }
        catch (JsonException e)
        {
            return Problem(StatusCodes.Status400BadRequest, $"body: expected {{\"amount\": yen, \"receipt\": id}} ({e.Message})");
        }

        if (req?.Amount is not { } amount || amount <= 0 || amount > 1_000_000)
        {
            return Problem(StatusCodes.Status400BadRequest, "amount: expected whole yen between 1 and 1,000,000");
        }

        if (string.IsNullOrWhiteSpace(req.Receipt) || req.Receipt.Length > 100)
        {
            return Problem(StatusCodes.Status400BadRequest, "receipt: expected a receipt id of 1 to 100 characters");
        }

        CardEntry? card = _pipeline.Registry.FindCard(tok);
        if (card is null)
        {
            _audit.Record(op, "POST", "/api/v1/cards/{tok}/charge", 404, [tok]);
            return Problem(StatusCodes.Status404NotFound, "unknown card token");
        }

        ChargeOutcome outcome = _pipeline.Charge(card, amount, req.Receipt);
        int status = outcome.Status == ChargeStatus.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status200OK;
        _audit.Record(op, "POST", "/api/v1/cards/{tok}/charge", status, [tok]);
        if (outcome.Status == ChargeStatus.Conflict)
        {
            return Problem(status, "receipt: already used for another card or amount");
        }

        return Results.Json(new
        {
            status = outcome.Status == ChargeStatus.Applied ? "applied" : "duplicate",
            receipt = req.Receipt,
            amount,
            value = outcome.Value,
            points = outcome.Points,
        }, Json);
    }

    private IResult CheckIns(HttpContext ctx, string clinicId, string? date)
    {
        if (Authorize(ctx, s => s == Operator.Admin || s == SectorId.Clinic(clinicId), out Operator op) is { } denied)
        {
            return denied;
        }

        if (_pipeline.Registry.FindClinic(clinicId) is null)
        {
            return Problem(StatusCodes.Status404NotFound, "unknown clinic");
        }

        if (date is null || !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day))
        {
            return Problem(StatusCodes.Status400BadRequest, "date: expected ?date=YYYY-MM-DD (JST calendar day)");
        }

        IReadOnlyList<CheckInRecord> rows = _pipeline.Store.CheckIns(clinicId, day);
        _audit.Record(op, "GET", "/api/v1/clinics/{clinicId}/checkins", 200, [.. rows.Select(r => r.PatientNo)]);
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

    private IResult Participants(HttpContext ctx, string eventId)
    {
        if (Authorize(ctx, s => s is Operator.Admin or SectorId.Welfare, out Operator op) is { } denied)
        {
            return denied;
        }

        EventDef? ev = _pipeline.Registry.FindEvent(eventId);
        if (ev is null)
        {
            return Problem(StatusCodes.Status404NotFound, "unknown event");
        }

        IReadOnlyList<ParticipationRecord> rows = _pipeline.Store.Participations(eventId);
        _audit.Record(op, "GET", "/api/v1/events/{eventId}/participants", 200, [.. rows.Select(r => r.SectorId)]);
        return Results.Json(new
        {
            @event = ev.Id,
            sector = ev.Sector,
            participants = rows.Select(r => new { sectorId = r.SectorId, @in = r.In, @out = r.Out, points = r.Points }),
        }, Json);
    }

    private IResult Devices(HttpContext ctx)
    {
        if (Authorize(ctx, s => s == Operator.Admin, out _) is { } denied)
        {
            return denied;
        }

        Dictionary<string, DeviceProgress> progress = _pipeline.Store.Devices().ToDictionary(d => d.Device, StringComparer.Ordinal);
        return Results.Json(_pipeline.Registry.Devices.OrderBy(d => d.Id, StringComparer.Ordinal).Select(d =>
        {
            DeviceProgress? p = progress.GetValueOrDefault(d.Id);
            DeviceStatus? st = _pipeline.Statuses.GetValueOrDefault(d.Id);
            return new
            {
                id = d.Id,
                role = d.Role,
                lastSeen = p?.LastSeen,
                lastSeq = p?.UpTo,
                eventsApplied = p?.EventsApplied ?? 0,
                backlog = st?.Backlog,
                firmware = st?.Firmware,
                state = st?.State,
                online = st is not null && st.State != "offline",
                statusAt = st?.At,
            };
        }), Json);
    }

    private IResult Quarantine(HttpContext ctx, int? limit)
    {
        if (Authorize(ctx, s => s == Operator.Admin, out _) is { } denied)
        {
            return denied;
        }

        IReadOnlyList<QuarantineRecord> rows = _pipeline.Store.Quarantine(Math.Clamp(limit ?? 500, 1, 10_000));
        return Results.Json(new
        {
            count = _pipeline.Store.QuarantineCount(),
            items = rows.Select(q => new
            {
                id = q.Id,
                scope = q.Scope,
                device = q.Device,
                topic = q.Topic,
                code = q.Code,
                reason = q.Reason,
                seq = q.Seq,
                at = q.At,
                payload = Utf8OrNull(q.Payload),
                payloadBase64 = Utf8OrNull(q.Payload) is null ? Convert.ToBase64String(q.Payload) : null,
            }),
        }, Json);
    }

    private static string? Utf8OrNull(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }
}
