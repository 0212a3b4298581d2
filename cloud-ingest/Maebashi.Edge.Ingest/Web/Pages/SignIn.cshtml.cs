using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Name and password against the operators file; on success the console cookie and the page asked for.</summary>
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class SignInModel(ConsoleSignIn signIn) : PageModel
{
    public const string WrongMessage = "名前またはパスワードが違います / Wrong name or password";
    public const string LockedMessage = "アカウントがロックされています / Account locked";
    public const string ThrottledMessage = "失敗が多すぎます。しばらくしてからお試しください / Too many failed attempts; try again later";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public string? Message { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        string address = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
        (SignInOutcome outcome, System.Security.Claims.ClaimsPrincipal? user) = signIn.Attempt(Name, Password, address);
        Password = null;
        if (outcome == SignInOutcome.SignedIn)
        {
            await HttpContext.SignInAsync(ConsoleCookie.SchemeName, user!, new AuthenticationProperties { IsPersistent = false });
            return LocalRedirect(ConsoleForms.LocalOrHome(Url, ReturnUrl));
        }

        (Message, Response.StatusCode) = outcome switch
        {
            SignInOutcome.Locked => (LockedMessage, StatusCodes.Status423Locked),
            SignInOutcome.Throttled => (ThrottledMessage, StatusCodes.Status429TooManyRequests),
            _ => (WrongMessage, StatusCodes.Status401Unauthorized),
        };
        return Page();
    }
}
