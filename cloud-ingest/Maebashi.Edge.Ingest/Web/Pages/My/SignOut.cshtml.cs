using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages.My;

/// <summary>Sign-out is a POST with the antiforgery token, as the console's.</summary>
[Authorize(Policy = MyPageHosting.Policy)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
public sealed class MySignOutModel : PageModel
{
    public IActionResult OnGet() => LocalRedirect(MyPageHosting.SignInPath);

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(MyPageHosting.SchemeName);
        return LocalRedirect(MyPageHosting.SignInPath);
    }
}
