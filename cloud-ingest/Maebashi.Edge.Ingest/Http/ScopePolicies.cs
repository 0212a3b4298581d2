using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Ingest.Web;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// One authorization policy per sector a route belongs to (docs/contract.md §6): each lets in the scopes that may
/// read that sector, and admin, which may read every sector.
/// </summary>
public static class ScopePolicies
{
    /// <summary>Operational views (devices, quarantine): admin only.</summary>
    public const string Admin = "scope:admin";

    /// <summary>Fares and charges: transport.</summary>
    public const string Transport = "scope:transport";

    /// <summary>Event participation: welfare.</summary>
    public const string Welfare = "scope:welfare";

    /// <summary>A wallet (bus fares and welfare points): transport or welfare.</summary>
    public const string Wallet = "scope:wallet";

    /// <summary>A clinic's check-ins: that clinic's <c>clinic:&lt;id&gt;</c> scope, the id taken from the route.</summary>
    public const string Clinic = "scope:clinic";

    /// <summary>The route value naming the clinic for <see cref="Clinic"/>.</summary>
    public const string ClinicRouteValue = "clinicId";

    /// <summary>The console's pages every scope sees (the fleet): any signed-in operator.</summary>
    public const string ConsoleOperator = "console:operator";

    /// <summary>The console's admin pages: the same rule as <see cref="Admin"/>, signed in with the console's cookie.</summary>
    public const string ConsoleAdmin = "console:" + Admin;

    /// <summary>The console's clinic pages: the same rule as <see cref="Clinic"/>, signed in with the console's cookie.</summary>
    public const string ConsoleClinic = "console:" + Clinic;

    /// <summary>The console's transport pages: the same rule as <see cref="Transport"/> (transport or admin), with the console's cookie.</summary>
    public const string ConsoleTransport = "console:" + Transport;

    /// <summary>The console's event pages: the same rule as <see cref="Welfare"/>, signed in with the console's cookie.</summary>
    public const string ConsoleWelfare = "console:" + Welfare;

    public static void AddTo(AuthorizationOptions options)
    {
        Add(options, Admin, new ScopeRequirement([]));
        Add(options, Transport, new ScopeRequirement([SectorId.Transport]));
        Add(options, Welfare, new ScopeRequirement([SectorId.Welfare]));
        Add(options, Wallet, new ScopeRequirement([SectorId.Transport, SectorId.Welfare]));
        Add(options, Clinic, new ClinicScopeRequirement(ClinicRouteValue));
        options.AddPolicy(ConsoleOperator, p => p
            .AddAuthenticationSchemes(ConsoleCookie.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(OperatorClaims.Scope));
    }

    // The API's policies take bearer tokens only and the console's the cookie only: a browser's cookie never
    // authorizes an API call (no cross-site request can ride on it), and an API client is never sent to a sign-in page.
    private static void Add(AuthorizationOptions options, string name, IAuthorizationRequirement requirement)
    {
        options.AddPolicy(name, p => p
            .AddAuthenticationSchemes(BearerTokenHandler.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(requirement));
        options.AddPolicy("console:" + name, p => p
            .AddAuthenticationSchemes(ConsoleCookie.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(requirement));
    }
}

/// <summary>The operator's scope is admin or one of <see cref="Scopes"/>.</summary>
public sealed record ScopeRequirement(IReadOnlyList<string> Scopes) : IAuthorizationRequirement;

/// <summary>The operator's scope is admin or <c>clinic:&lt;id&gt;</c> for the clinic the route names.</summary>
public sealed record ClinicScopeRequirement(string RouteValue) : IAuthorizationRequirement;

/// <summary>Decides <see cref="ScopeRequirement"/> and <see cref="ClinicScopeRequirement"/> from the operator's scope claim.</summary>
public sealed class ScopeAuthorizationHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        string scope = OperatorClaims.ScopeOf(context.User);
        foreach (IAuthorizationRequirement requirement in context.PendingRequirements.ToList())
        {
            bool allowed = requirement switch
            {
                _ when scope == Operator.Admin => requirement is ScopeRequirement or ClinicScopeRequirement,
                ScopeRequirement r => r.Scopes.Contains(scope, StringComparer.Ordinal),
                ClinicScopeRequirement r => context.Resource is HttpContext http
                    && http.GetRouteValue(r.RouteValue) is string clinicId
                    && scope == SectorId.Clinic(clinicId),
                _ => false,
            };
            if (allowed)
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}
