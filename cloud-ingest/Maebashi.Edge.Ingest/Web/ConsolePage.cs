using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>A console page that may refuse its query: the page again, 400, saying what was wrong.</summary>
public abstract class ConsolePage : PageModel
{
    public string? Error { get; private set; }

    protected IActionResult Bad(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
