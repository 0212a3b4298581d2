using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Sign-out is a POST with the antiforgery token (a link or an image cannot sign anyone out), then the sign-in page.
/// Behind the console's policy so that the request carries the signed-in operator, whom the token was made for.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleOperator)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
public sealed class SignOutModel(AuditLog audit) : PageModel
{
    public IActionResult OnGet() => LocalRedirect(ConsoleHosting.SignInPath);

    public async Task<IActionResult> OnPostAsync()
    {
        audit.Record(User, "POST", "/console/signout", StatusCodes.Status200OK, []);
        await HttpContext.SignOutAsync(ConsoleCookie.SchemeName);
        return LocalRedirect(ConsoleHosting.SignInPath);
    }
}
