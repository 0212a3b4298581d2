using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>The claims an authenticated operator carries.</summary>
public static class OperatorClaims
{
    /// <summary>The operator's one scope: transport, welfare, clinic:&lt;id&gt; or admin.</summary>
    public const string Scope = "maebashi:scope";

    public static string NameOf(ClaimsPrincipal user) => user.Identity?.Name ?? "";

    public static string ScopeOf(ClaimsPrincipal user) => user.FindFirstValue(Scope) ?? "";
}

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> against the operators (the operators file or the admin token made at
/// start). A missing or unknown token is answered 401 and a scope outside the resource's sector 403, both as
/// problem details, with the same wording as before the API moved onto ASP.NET Core authentication.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OperatorDirectory operators,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private const string Prefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        Operator? op = operators.Find(header[Prefix.Length..].Trim());
        if (op is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown token"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, op.Name), new Claim(OperatorClaims.Scope, op.Scope)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        AuthenticateResult result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = SchemeName;
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, result.Failure is null ? "missing bearer token" : result.Failure.Message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, $"scope '{OperatorClaims.ScopeOf(Context.User)}' may not read this sector");

    private async Task WriteProblemAsync(int status, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Detail = detail },
        });
    }
}
