using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages.My;

/// <summary>An enrollment code (once), a login name and a password: the citizen's account, and they are signed in.</summary>
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class EnrollModel(CitizenSignIn signIn, MyPageQueries queries) : PageModel
{
    public const string BadCodeMessage = "登録コードが無効です（使用済み・期限切れを含む） / The enrollment code is not valid (used or expired)";
    public const string LoginTakenMessage = "このログイン名は使われています / This login name is taken";

    [BindProperty]
    public string? Code { get; set; }

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
        // Neither the password nor the code is ever written back into the page.
        (string? password, string? code) = (Password, Code);
        (Password, Code) = (null, null);
        if ((CitizenAccounts.LoginProblem(Login) ?? CitizenAccounts.PasswordProblem(password)) is { } problem)
        {
            Message = problem;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        string address = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
        EnrollOutcome outcome = signIn.Enroll(code, Login!, password!, address, queries.PidOfCard);
        switch (outcome)
        {
            case EnrollOutcome.Enrolled:
                await HttpContext.SignInAsync(MyPageHosting.SchemeName, CitizenSignIn.Principal(Login!), new AuthenticationProperties { IsPersistent = false });
                return LocalRedirect(MyPageHosting.PathPrefix + "/");
            case EnrollOutcome.LoginTaken:
                (Message, Response.StatusCode) = (LoginTakenMessage, StatusCodes.Status409Conflict);
                break;
            case EnrollOutcome.BadCode:
                (Message, Response.StatusCode) = (BadCodeMessage, StatusCodes.Status400BadRequest);
                break;
            default:
                (Message, Response.StatusCode) = (SignInModel.ThrottledMessage, StatusCodes.Status429TooManyRequests);
                break;
        }

        return Page();
    }
}
