using System.Security.Claims;
using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages.My;

/// <summary>A citizen's login name and password; on success the My Page cookie and My Page.</summary>
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class MySignInModel(CitizenSignIn signIn) : PageModel
{
    public const string WrongMessage = "ログイン名またはパスワードが違います / Wrong login name or password";

    [BindProperty]
    public string? Login { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public string? Message { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        string address = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
        (SignInOutcome outcome, ClaimsPrincipal? user) = signIn.Attempt(Login, Password, address);
        Password = null;
        if (outcome == SignInOutcome.SignedIn)
        {
            await HttpContext.SignInAsync(MyPageHosting.SchemeName, user!, new AuthenticationProperties { IsPersistent = false });
            return LocalRedirect(MyPageHosting.PathPrefix + "/");
        }

        (Message, Response.StatusCode) = outcome switch
        {
            SignInOutcome.Locked => (SignInModel.LockedMessage, StatusCodes.Status423Locked),
            SignInOutcome.Throttled => (SignInModel.ThrottledMessage, StatusCodes.Status429TooManyRequests),
            _ => (WrongMessage, StatusCodes.Status401Unauthorized),
        };
        return Page();
    }
}
