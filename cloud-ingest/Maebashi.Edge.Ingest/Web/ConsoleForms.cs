using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>Bounds on what a console form may send, and where a form may send the browser next.</summary>
public static class ConsoleForms
{
    /// <summary>A console form is a few short fields: 16 KiB is far more than any needs.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    public const int MaxValues = 16;

    /// <summary>A return URL only when it is a path on this site under the console; else the fleet page.</summary>
    public static string LocalOrHome(IUrlHelper url, string? returnUrl) =>
        returnUrl is not null && url.IsLocalUrl(returnUrl) && returnUrl.StartsWith(ConsoleHosting.PathPrefix + "/", StringComparison.Ordinal)
            ? returnUrl
            : ConsoleHosting.PathPrefix + "/";
}
