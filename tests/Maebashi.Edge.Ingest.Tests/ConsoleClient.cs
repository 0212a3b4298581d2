using System.Net;
using System.Text.RegularExpressions;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The console as a browser sees it over HTTP: a cookie jar, no automatic redirects (tests look at each one), and
/// forms posted with the antiforgery token read from the page that holds them.
/// </summary>
internal sealed partial class ConsoleClient : IDisposable
{
    private readonly HttpClient _http;

    public ConsoleClient(RunningIngest ingest)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false })
        {
            BaseAddress = ingest.Http.BaseAddress,
        };
    }

    public CookieContainer Cookies { get; }

    public async Task<Page> GetAsync(string path)
    {
        using HttpResponseMessage r = await _http.GetAsync(path);
        return await Page.ReadAsync(r);
    }

    /// <summary>Reads the form on <paramref name="formPage"/> for its antiforgery token, then posts the fields to <paramref name="action"/>.</summary>
    public async Task<Page> PostFormAsync(string formPage, string action, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true)
    {
        List<KeyValuePair<string, string>> body = [.. fields];
        if (withToken)
        {
            Page form = await GetAsync(formPage);
            body.Add(new("__RequestVerificationToken", form.AntiforgeryToken ?? throw new InvalidOperationException($"{formPage} has no antiforgery token:\n{form.Body}")));
        }

        using var content = new FormUrlEncodedContent(body);
        using HttpResponseMessage r = await _http.PostAsync(action, content);
        return await Page.ReadAsync(r);
    }

    public Task<Page> SignInAsync(string name, string password, string? returnUrl = null) =>
        PostFormAsync("/console/signin", "/console/signin", [new("name", name), new("password", password), .. returnUrl is null ? [] : new KeyValuePair<string, string>[] { new("returnUrl", returnUrl) }]);

    public Task<Page> SignOutAsync() => PostFormAsync("/console/", "/console/signout", []);

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    /// <summary>One response: status, headers that matter here, body.</summary>
    public sealed record Page(int Status, string Body, string? Location, IReadOnlyList<string> SetCookies, string? CacheControl, string? ContentSecurityPolicy, string? ContentType)
    {
        public string? AntiforgeryToken => TokenPattern().Match(Body) is { Success: true } m ? m.Groups[1].Value : null;

        public static async Task<Page> ReadAsync(HttpResponseMessage r) => new(
            (int)r.StatusCode,
            await r.Content.ReadAsStringAsync(),
            r.Headers.Location?.ToString(),
            r.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? c) ? [.. c] : [],
            r.Headers.CacheControl?.ToString(),
            r.Headers.TryGetValues("Content-Security-Policy", out IEnumerable<string>? csp) ? csp.Single() : null,
            r.Content.Headers.ContentType?.MediaType);
    }
}
