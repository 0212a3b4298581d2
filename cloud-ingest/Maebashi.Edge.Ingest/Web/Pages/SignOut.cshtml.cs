using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Sign-out is a POST with the antiforgery token (a link or an image cannot sign anyone out), then the sign-in page.</summary>
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
public sealed class SignOutModel(AuditLog audit) : PageModel
{
    public IActionResult OnGet() => LocalRedirect(ConsoleHosting.SignInPath);

    public async Task<IActionResult> OnPostAsync()
    {
        AuthenticateResult session = await HttpContext.AuthenticateAsync(ConsoleCookie.SchemeName);
        if (session.Succeeded)
        {
            audit.Record(session.Principal, "POST", "/console/signout", StatusCodes.Status200OK, []);
        }

        await HttpContext.SignOutAsync(ConsoleCookie.SchemeName);
        return LocalRedirect(ConsoleHosting.SignInPath);
    }
}
