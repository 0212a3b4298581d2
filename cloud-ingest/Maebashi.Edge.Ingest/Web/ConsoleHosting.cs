using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Web.Transport;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.WebEncoders;
using Microsoft.Net.Http.Headers;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>
/// The operator console under <c>/console/</c>: Razor Pages on the ingest's own web host, signed in with the
/// console cookie (<see cref="ConsoleCookie"/>) beside the API's bearer tokens.
/// </summary>
public static class ConsoleHosting
{
    public const string PathPrefix = "/console";

    /// <summary>Where the stylesheet is served (an embedded resource, so the deployable carries no loose files).</summary>
    public const string StaticPath = "/console/static";

    public const string SignInPath = "/console/signin";

    /// <summary>
    /// No inline script or style anywhere: the pages use the one stylesheet and, where a page updates itself, a script
    /// file of this origin that may fetch from this origin only; forms post to this origin only and no other site may
    /// frame them.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void AddConsole(this IServiceCollection services, AuthenticationBuilder authentication, TimeProvider time)
    {
        // The pages live in Web/Pages; each names its own route under /console.
        services.AddRazorPages(o => o.RootDirectory = "/Web/Pages");
        // Japanese is written as text, not as &#x…; escapes (the encoder still escapes markup).
        services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        services.AddSingleton(sp => new SignInThrottle(time, sp.GetRequiredService<Store.IIngestStore>(), Store.SignInRealm.Operator));
        services.AddSingleton(sp => new Notices.CityNotices(sp.GetRequiredService<Store.IIngestStore>(), time));
        services.AddSingleton<ConsoleSignIn>();
        services.AddSingleton<Transport.TransportReports>();
        services.AddAntiforgery(o =>
        {
            o.Cookie = new ConsoleCookie.Builder("maebashi-console-af");
            o.FormFieldName = "__RequestVerificationToken";
        });
        authentication.AddCookie(ConsoleCookie.SchemeName, o =>
        {
            o.Cookie = new ConsoleCookie.Builder(ConsoleCookie.Name);
            o.LoginPath = SignInPath;
            o.LogoutPath = "/console/signout";
            o.ReturnUrlParameter = "returnUrl";
            o.ExpireTimeSpan = ConsoleCookie.IdleTimeout;
            o.SlidingExpiration = true;
            o.TimeProvider = time;
            o.Events = new CookieAuthenticationEvents
            {
                // Every request renews the session, so it ends exactly IdleTimeout after the last one (the built-in
                // sliding renews only past half the span, which would end some sessions after half the idle time).
                OnValidatePrincipal = c =>
                {
                    OperatorDirectory operators = c.HttpContext.RequestServices.GetRequiredService<OperatorDirectory>();
                    if (c.Principal is null || operators.FindByName(OperatorClaims.NameOf(c.Principal)) is not { } op
                        || op.Scope != OperatorClaims.ScopeOf(c.Principal))
                    {
                        c.RejectPrincipal();
                    }
                    else
                    {
                        c.ShouldRenew = true;
                    }

                    return Task.CompletedTask;
                },

                // A signed-in operator outside a page's scope is answered 403 with the console's page, not redirected.
                OnRedirectToAccessDenied = c =>
                {
                    c.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                },
            };
        });
    }

    public static void UseConsole(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(PathPrefix), console =>
        {
            console.Use(PageHeaders);
            console.UseStatusCodePagesWithReExecute("/console/status/{0}");
            console.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new EmbeddedFileProvider(Assembly.GetExecutingAssembly(), "Maebashi.Edge.Ingest.Web.Static"),
                RequestPath = StaticPath,
            });
        });
    }

    /// <summary>
    /// The headers of every console and My Page response: the CSP, no sniffing, no referrer, and no-store on all but
    /// the stylesheet.
    /// </summary>
    public static Task PageHeaders(HttpContext context, RequestDelegate next)
    {
        bool isStatic = context.Request.Path.StartsWithSegments(StaticPath);
        context.Response.OnStarting(() =>
        {
            IHeaderDictionary h = context.Response.Headers;
            h.ContentSecurityPolicy = ContentSecurityPolicy;
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            if (!isStatic)
            {
                // Registered first, so it runs after antiforgery's own header: signed-in pages are never stored.
                h.CacheControl = "no-store";
                h.Remove(HeaderNames.Pragma);
            }

            return Task.CompletedTask;
        });
        return next(context);
    }

    public static void MapConsole(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapClinicQueue();
        app.MapTransportExports();
    }
}
