using Maebashi.Edge.Ingest.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Maebashi.Edge.Ingest.Web.MyPage;

/// <summary>
/// The citizens' My Page under <c>/my/</c>: Razor Pages beside the console's, with a cookie session of its own
/// (its own scheme and cookie name, so a console session never opens My Page nor the other way round), the same
/// cookie rules (<see cref="ConsoleCookie.Builder"/>: HttpOnly, SameSite=Strict, Secure off loopback), 15 minutes idle,
/// and the console's headers (CSP without inline script or style, no-store).
/// </summary>
public static class MyPageHosting
{
    public const string PathPrefix = "/my";

    public const string SchemeName = "Citizen";

    public const string CookieName = "maebashi-my";

    public const string SignInPath = "/my/signin";

    /// <summary>The policy of every signed-in My Page: a citizen signed in with the My Page cookie.</summary>
    public const string Policy = "my:citizen";

    public static void AddMyPage(this IServiceCollection services, AuthenticationBuilder authentication, TimeProvider time)
    {
        services.AddSingleton(sp => new CitizenAccounts(sp.GetRequiredService<Store.IIngestStore>(), time));
        services.AddSingleton<CitizenSignIn>();
        services.AddSingleton<MyPageQueries>();
        services.AddAuthorization(o => o.AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(SchemeName)
            .RequireAuthenticatedUser()));
        authentication.AddCookie(SchemeName, o =>
        {
            o.Cookie = new ConsoleCookie.Builder(CookieName);
            o.LoginPath = SignInPath;
            o.LogoutPath = "/my/signout";
            o.ReturnUrlParameter = "returnUrl";
            o.ExpireTimeSpan = ConsoleCookie.IdleTimeout;
            o.SlidingExpiration = true;
            o.TimeProvider = time;
            o.Events = new CookieAuthenticationEvents
            {
                // As the console's: renewed on every request, and ended when the account is gone (replaced by a new enrollment).
                OnValidatePrincipal = c =>
                {
                    CitizenAccounts accounts = c.HttpContext.RequestServices.GetRequiredService<CitizenAccounts>();
                    if (c.Principal?.Identity?.Name is not { } login || accounts.Find(login) is null)
                    {
                        c.RejectPrincipal();
                    }
                    else
                    {
                        c.ShouldRenew = true;
                    }

                    return Task.CompletedTask;
                },
            };
        });
    }

    public static void UseMyPage(this WebApplication app) =>
        app.UseWhen(c => c.Request.Path.StartsWithSegments(PathPrefix), my => my.Use(ConsoleHosting.PageHeaders));
}
