using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>The console over HTTPS (<c>ingest run --https-cert … --https-key …</c>): TLS only, HSTS, Secure cookies.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Tls")]
[Trait("Category", "Web")]
public sealed class ConsoleHttpsTests(Browser browser) : IAsyncLifetime
{
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync(https: true);

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_console_answers_only_over_TLS_with_HSTS_and_a_certificate_of_the_city_CA()
    {
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_site.Directory, "tls", "ca.crt"));
        using var handler = new HttpClientHandler
        {
            // Trust exactly the CA the server certificate was made from, and check the name as usual.
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = _site.BaseAddress };
        using HttpResponseMessage page = await http.GetAsync("/console/signin");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.StartsWith("max-age=", page.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);

        // Plain HTTP to the same port gets no page.
        using var plain = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync($"http://localhost:{_site.BaseAddress.Port}/console/signin"));
    }

    [Fact]
    public async Task Signed_in_over_HTTPS_the_browser_holds_a_secure_session_cookie()
    {
        // The test CA is not in chromium's store: this test is about the cookie, the one above about the certificate.
        IBrowserContext context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { Locale = "ja-JP", IgnoreHTTPSErrors = true });
        IPage page = await context.NewPageAsync();
        (string name, string password) = ConsoleSite.Operators["admin"];
        await page.GotoAsync(_site.Url("/console/signin"));
        await page.FillAsync("input[name=name]", name);
        await page.FillAsync("input[name=password]", password);
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("button:has-text('サインイン / Sign in')"));
        BrowserContextCookiesResult session = Assert.Single(await context.CookiesAsync(), c => c.Name == "maebashi-console");
        Assert.True(session.Secure);
        Assert.True(session.HttpOnly);
    }
}
