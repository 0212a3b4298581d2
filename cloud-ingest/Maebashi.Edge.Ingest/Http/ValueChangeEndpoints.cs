using System.Security.Claims;
using System.Text.Json;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// Operators' changes to a card's value (docs/contract.md §6): a top-up by receipt, and a refund or correction by
/// request id with a reason code. Both are idempotent: the same id with the same body is answered as a duplicate and
/// changes nothing; the same id with another card or body is 409. Every call is audited.
/// </summary>
public static class ValueChangeEndpoints
{
    public const string ChargeRoute = "/api/v1/cards/{tok}/charge";

    public const string AdjustmentsRoute = "/api/v1/cards/{tok}/adjustments";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapValueChangeApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(ChargeRoute, Charge).RequireAuthorization(ScopePolicies.Transport);
        app.MapPost(AdjustmentsRoute, Adjust).RequireAuthorization(ScopePolicies.Transport);
    }

    /// <summary>Applies a checked request for the card, audited under <paramref name="route"/>; the console's forms call it too.</summary>
    public static (int Status, ChargeOutcome? Outcome) Apply(ValueChangeRequest request, string tok, ClaimsPrincipal user, IngestQueries queries, IngestPipeline pipeline, AuditLog audit, string route)
    {
        if (queries.FindCard(tok) is not { } card)
        {
            audit.Record(user, "POST", route, StatusCodes.Status404NotFound, [tok]);
            return (StatusCodes.Status404NotFound, null);
        }

        ChargeOutcome outcome = pipeline.ApplyValueChange(card, request.Amount, request.Id, request.Kind, request.Reason, request.Note);
        int status = outcome.Status == ChargeStatus.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status200OK;
        audit.Record(user, "POST", route, status, [tok]);
        return (status, outcome);
    }

    private sealed class ChargeBody
    {
        public long? Amount { get; set; }
        public string? Receipt { get; set; }
    }

    private sealed class AdjustmentBody
    {
        public string? Id { get; set; }
        public long? Amount { get; set; }
        public string? Reason { get; set; }
        public string? Note { get; set; }
    }

    private static async Task<IResult> Charge(HttpContext ctx, string tok, IngestQueries queries, IngestPipeline pipeline, AuditLog audit)
    {
        (ChargeBody? body, string? unreadable) = await Read<ChargeBody>(ctx, "{\"amount\": yen, \"receipt\": id}");
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, unreadable!);
        }

        if (body.Amount is not { } amount)
        {
            return Problem(StatusCodes.Status400BadRequest, "amount: expected whole yen between 1 and 1,000,000");
        }

        var request = new ValueChangeRequest(ValueChangeKind.TopUp, body.Receipt ?? "", amount, null, null);
        if (request.Problem() is { } problem)
        {
            return Problem(StatusCodes.Status400BadRequest, problem);
        }

        (int status, ChargeOutcome? outcome) = Apply(request, tok, ctx.User, queries, pipeline, audit, ChargeRoute);
        return status switch
        {
            StatusCodes.Status404NotFound => Problem(status, "unknown card token"),
            StatusCodes.Status409Conflict => Problem(status, "receipt: already used for another card or amount"),
            _ => Results.Json(new
            {
                status = outcome!.Status == ChargeStatus.Applied ? "applied" : "duplicate",
                receipt = request.Id,
                amount,
                value = outcome.Value,
                points = outcome.Points,
            }, Json),
        };
    }

    private static async Task<IResult> Adjust(HttpContext ctx, string tok, IngestQueries queries, IngestPipeline pipeline, AuditLog audit)
    {
        const string Shape = "{\"id\", \"amount\": signed yen, \"reason\", \"note\"}";
        (AdjustmentBody? body, string? unreadable) = await Read<AdjustmentBody>(ctx, Shape);
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, unreadable!);
        }

        if (body.Amount is not { } amount)
        {
            return Problem(StatusCodes.Status400BadRequest, "amount: expected signed whole yen, not 0, between -1,000,000 and 1,000,000");
        }

        var request = new ValueChangeRequest(ValueChangeKind.Adjustment, body.Id ?? "", amount, body.Reason, string.IsNullOrEmpty(body.Note) ? null : body.Note);
        if (request.Problem() is { } problem)
        {
            return Problem(StatusCodes.Status400BadRequest, problem);
        }

        (int status, ChargeOutcome? outcome) = Apply(request, tok, ctx.User, queries, pipeline, audit, AdjustmentsRoute);
        return status switch
        {
            StatusCodes.Status404NotFound => Problem(status, "unknown card token"),
            StatusCodes.Status409Conflict => Problem(status, "id: already used for another card or another body"),
            _ => Results.Json(new
            {
                status = outcome!.Status == ChargeStatus.Applied ? "applied" : "duplicate",
                id = request.Id,
                amount,
                reason = request.Reason,
                value = outcome.Value,
                points = outcome.Points,
            }, Json),
        };
    }

    /// <summary>The JSON body, or why it is not a JSON object of <paramref name="shape"/>.</summary>
    private static async Task<(T? Body, string? Problem)> Read<T>(HttpContext ctx, string shape)
        where T : class
    {
        try
        {
            T? body = await JsonSerializer.DeserializeAsync<T>(ctx.Request.Body, Json, ctx.RequestAborted);
            return body is null ? (null, "body: expected " + shape) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, $"body: expected {shape} ({e.Message})");
        }
    }

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
}
