using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>A console page that may refuse its query: the page again, 400, saying what was wrong.</summary>
public abstract class ConsolePage : PageModel
{
    public string? Error { get; private set; }

    protected IActionResult Bad(string message) => Fail(StatusCodes.Status400BadRequest, message);

    /// <summary>The page again with <paramref name="status"/>, saying what was wrong.</summary>
    protected IActionResult Fail(int status, string message)
    {
        Error = message;
        Response.StatusCode = status;
        return Page();
    }
}
