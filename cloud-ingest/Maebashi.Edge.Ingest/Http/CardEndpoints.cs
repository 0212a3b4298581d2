using System.Security.Claims;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// The admin's card APIs of docs/contract.md §6: a My Page enrollment code for a card, and a card's run-time status
/// (read, and cleared: only an admin may bring a card reported lost back). Every call is audited.
/// </summary>
public static class CardEndpoints
{
    public const string EnrollmentRoute = "/api/v1/cards/{tok}/enrollment";

    public const string StatusRoute = "/api/v1/cards/{tok}/status";

    public static void MapCardApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(EnrollmentRoute, Enrollment).RequireAuthorization(ScopePolicies.Admin);
        app.MapGet(StatusRoute, Status).RequireAuthorization(ScopePolicies.Admin);
        app.MapDelete(StatusRoute, ClearStatus).RequireAuthorization(ScopePolicies.Admin);
    }

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static IResult Enrollment(string tok, ClaimsPrincipal user, IngestQueries queries, CitizenAccounts accounts, AuditLog audit)
    {
        if (queries.FindCard(tok) is null)
        {
            audit.Record(user, "POST", EnrollmentRoute, StatusCodes.Status404NotFound, [tok]);
            return Problem(StatusCodes.Status404NotFound, "unknown card token");
        }

        (string code, DateTimeOffset expiresAt) = accounts.Issue(tok, EnrollmentCode.DefaultLifetime);
        audit.Record(user, "POST", EnrollmentRoute, StatusCodes.Status200OK, [tok]);
        return Results.Ok(new { code, expiresAt });
    }

    private static IResult Status(string tok, ClaimsPrincipal user, IngestQueries queries, IngestPipeline pipeline, AuditLog audit)
    {
        if (queries.FindCard(tok) is not { } card)
        {
            audit.Record(user, "GET", StatusRoute, StatusCodes.Status404NotFound, [tok]);
            return Problem(StatusCodes.Status404NotFound, "unknown card token");
        }

        audit.Record(user, "GET", StatusRoute, StatusCodes.Status200OK, [tok]);
        return Results.Ok(Body(card, pipeline));
    }

    private static IResult ClearStatus(string tok, ClaimsPrincipal user, IngestQueries queries, IngestPipeline pipeline, AuditLog audit)
    {
        if (queries.FindCard(tok) is not { } card)
        {
            audit.Record(user, "DELETE", StatusRoute, StatusCodes.Status404NotFound, [tok]);
            return Problem(StatusCodes.Status404NotFound, "unknown card token");
        }

        CardStatusOutcome outcome = pipeline.SetCardStatus(tok, null);
        audit.Record(user, "DELETE", StatusRoute, StatusCodes.Status200OK, [tok]);
        return Results.Ok(new { cleared = outcome.Changed, denyVersion = outcome.DenyVersion, registryLost = card.Lost });
    }

    private static object Body(CardEntry card, IngestPipeline pipeline)
    {
        CardStatusEntry? s = pipeline.CardStatusOf(card.Token);
        return new
        {
            status = s is null ? null : s.Status.ToString().ToLowerInvariant(),
            since = s?.At,
            registryLost = card.Lost,
            auth = card.Authenticated ? CardAuthKinds.Ntag424Sun : CardAuthKinds.None,
            denyVersion = pipeline.CurrentDenyList().Version,
        };
    }
}
