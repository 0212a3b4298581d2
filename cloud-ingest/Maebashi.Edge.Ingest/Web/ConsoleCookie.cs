using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>
/// The console's session cookie: HttpOnly, SameSite=Strict, and Secure unless the browser addressed the ingest on
/// loopback (where plain HTTP is the only way in). Idle sessions end after <see cref="IdleTimeout"/>.
/// </summary>
public static class ConsoleCookie
{
    public const string SchemeName = "Console";

    public const string Name = "maebashi-console";

    /// <summary>Clinic reception PCs are shared: a session left alone this long is over.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(15);

    /// <summary>Whether the request's host is a loopback address or <c>localhost</c>.</summary>
    public static bool IsLoopback(HttpRequest request)
    {
        string host = request.Host.Host;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out IPAddress? ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>A cookie builder that marks its cookie Secure whenever the request is not on loopback.</summary>
    public sealed class Builder : RequestPathBaseCookieBuilder
    {
        public Builder(string name)
        {
            Name = name;
            HttpOnly = true;
            SameSite = SameSiteMode.Strict;
            IsEssential = true;
            Path = "/";
        }

        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            CookieOptions options = base.Build(context, expiresFrom);
            options.Secure = context.Request.IsHttps || !IsLoopback(context.Request);
            return options;
        }
    }
}
