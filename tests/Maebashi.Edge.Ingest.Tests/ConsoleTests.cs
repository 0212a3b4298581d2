using System.Net.Http.Headers;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Web;
using Microsoft.Extensions.Time.Testing;
using Page = Maebashi.Edge.Ingest.Tests.ConsoleClient.Page;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The operator console over real HTTP: sign-in, the cookie session, lockout, scopes, the fleet page.</summary>
[Trait("Category", "Web")]
public sealed class ConsoleTests
{
    private const string Wrong = "名前またはパスワードが違います / Wrong name or password";
    private const string Locked = "アカウントがロックされています / Account locked";

    private static void AssertConsolePage(Page page)
    {
        Assert.Equal("text/html", page.ContentType);
        Assert.Contains("<html lang=\"ja\">", page.Body, StringComparison.Ordinal);
        Assert.NotNull(page.ContentSecurityPolicy);
        Assert.Contains("script-src 'self'", page.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", page.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("no-store", page.CacheControl);
    }

    [Fact]
    public async Task The_right_password_signs_in_with_a_strict_http_only_cookie_and_lands_on_the_fleet()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);

        Page form = await browser.GetAsync("/console/signin");
        Assert.Equal(200, form.Status);
        AssertConsolePage(form);
        Assert.Contains("name=\"name\"", form.Body, StringComparison.Ordinal);
        Assert.Contains("name=\"password\"", form.Body, StringComparison.Ordinal);
        Assert.Contains("サインイン / Sign in</button>", form.Body, StringComparison.Ordinal);

        Page signedIn = await browser.SignInAsync(RunningIngest.TransportName, RunningIngest.ConsolePassword);
        Assert.Equal(302, signedIn.Status);
        Assert.Equal("/console/", signedIn.Location);
        string cookie = Assert.Single(signedIn.SetCookies, c => c.StartsWith(ConsoleCookie.Name + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        // Plain HTTP on loopback: a Secure cookie would never come back.
        Assert.DoesNotContain("secure", cookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);
        // A session cookie: it ends with the browser, and the server ends it after 15 idle minutes.
        Assert.DoesNotContain("expires", cookie, StringComparison.OrdinalIgnoreCase);

        Page fleet = await browser.GetAsync("/console/");
        Assert.Equal(200, fleet.Status);
        AssertConsolePage(fleet);
        Assert.Contains("車両・端末 / Fleet</h1>", fleet.Body, StringComparison.Ordinal);
        Assert.Contains(RunningIngest.TransportName, fleet.Body, StringComparison.Ordinal);

        Page css = await browser.GetAsync("/console/static/console.css");
        Assert.Equal(200, css.Status);
        Assert.Equal("text/css", css.ContentType);
        Assert.Contains("@media", css.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Addressed_by_a_name_other_than_loopback_the_session_cookie_is_secure()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = ingest.Http.BaseAddress };
        const string ProxiedHost = "console.city.maebashi.example";

        using var get = new HttpRequestMessage(HttpMethod.Get, "/console/signin");
        get.Headers.Host = ProxiedHost;
        using HttpResponseMessage form = await http.SendAsync(get);
        string antiforgeryCookie = form.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("secure", antiforgeryCookie, StringComparison.OrdinalIgnoreCase);
        string? token = (await ConsoleClient.Page.ReadAsync(form)).AntiforgeryToken;

        using var post = new HttpRequestMessage(HttpMethod.Post, "/console/signin")
        {
            Content = new FormUrlEncodedContent([new("name", RunningIngest.AdminName), new("password", RunningIngest.ConsolePassword), new("__RequestVerificationToken", token!)]),
        };
        post.Headers.Host = ProxiedHost;
        post.Headers.Add("Cookie", antiforgeryCookie[..antiforgeryCookie.IndexOf(';', StringComparison.Ordinal)]);
        using HttpResponseMessage signedIn = await http.SendAsync(post);
        Assert.Equal(302, (int)signedIn.StatusCode);
        string session = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleCookie.Name + "=", StringComparison.Ordinal));
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", session, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_local_return_url_is_followed_and_another_site_is_not()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);
        Page signIn = await browser.GetAsync("/console/operators");
        Assert.Equal(302, signIn.Status);
        Assert.EndsWith("/console/signin?returnUrl=%2Fconsole%2Foperators", signIn.Location, StringComparison.Ordinal);

        Assert.Equal("/console/operators", (await browser.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword, "/console/operators")).Location);
        using var other = new ConsoleClient(ingest);
        Assert.Equal("/console/", (await other.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword, "https://evil.example/console/")).Location);
        using var third = new ConsoleClient(ingest);
        Assert.Equal("/console/", (await third.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword, "//evil.example/console/")).Location);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_name_get_the_same_answer_and_no_session()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);

        Page wrong = await browser.SignInAsync(RunningIngest.TransportName, "not the password");
        Page unknown = await browser.SignInAsync("誰でもない / nobody", RunningIngest.ConsolePassword);
        foreach (Page p in new[] { wrong, unknown })
        {
            Assert.Equal(401, p.Status);
            AssertConsolePage(p);
            Assert.Contains(Wrong, p.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(p.SetCookies, c => c.StartsWith(ConsoleCookie.Name + "=", StringComparison.Ordinal));
        }

        Assert.Equal(302, (await browser.GetAsync("/console/")).Status);

        // Both attempts are audited; the name typed for the unknown one is not written (it could be anything).
        string audit = await ingest.AuditTextAsync();
        Assert.Contains("\"operator\":\"交通 係\",\"scope\":\"transport\",\"method\":\"POST\",\"route\":\"/console/signin\",\"status\":401", audit, StringComparison.Ordinal);
        Assert.Contains("\"operator\":\"\",\"scope\":\"\",\"method\":\"POST\",\"route\":\"/console/signin\",\"status\":401", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("not the password", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_password_typed_at_sign_in_reaches_the_log_even_at_trace_level()
    {
        (Microsoft.Extensions.Logging.ILoggerFactory loggers, CapturedLog log) = CapturedLog.Create();
        using (loggers)
        {
            await using RunningIngest ingest = await RunningIngest.StartAsync(loggers: loggers);
            using var browser = new ConsoleClient(ingest);
            await browser.SignInAsync(RunningIngest.TransportName, "typed-wrong-secret-4411");
            await browser.SignInAsync(RunningIngest.TransportName, RunningIngest.ConsolePassword);
            Assert.Equal(200, (await browser.GetAsync("/console/")).Status);
        }

        Assert.Contains("/console/signin", log.Text, StringComparison.Ordinal); // the requests were logged at all
        Assert.DoesNotContain("typed-wrong-secret-4411", log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(RunningIngest.ConsolePassword, log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_refused()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);
        await browser.GetAsync("/console/signin"); // the antiforgery cookie, but no token in the post

        Page signIn = await browser.PostFormAsync("/console/signin", "/console/signin",
            [new("name", RunningIngest.TransportName), new("password", RunningIngest.ConsolePassword)], withToken: false);
        Assert.Equal(400, signIn.Status);
        Assert.DoesNotContain(signIn.SetCookies, c => c.StartsWith(ConsoleCookie.Name + "=", StringComparison.Ordinal));

        Assert.Equal(302, (await browser.SignInAsync(RunningIngest.TransportName, RunningIngest.ConsolePassword)).Status);
        Page signOut = await browser.PostFormAsync("/console/", "/console/signout", [], withToken: false);
        Assert.Equal(400, signOut.Status);
        Assert.Equal(200, (await browser.GetAsync("/console/")).Status);
    }

    [Fact]
    public async Task Sign_out_ends_the_session_and_returns_to_the_sign_in_page()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);
        await browser.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword);
        Assert.Equal(200, (await browser.GetAsync("/console/")).Status);

        Page signedOut = await browser.SignOutAsync();
        Assert.Equal(302, signedOut.Status);
        Assert.Equal("/console/signin", signedOut.Location);
        Assert.Equal(302, (await browser.GetAsync("/console/")).Status);
        string audit = await ingest.AuditTextAsync();
        Assert.Contains("\"operator\":\"C01 受付\",\"scope\":\"clinic:C01\",\"method\":\"POST\",\"route\":\"/console/signout\",\"status\":200", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Five_failures_lock_the_account_until_an_admin_unlocks_it_from_the_console()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var clerk = new ConsoleClient(ingest);
        for (int i = 1; i < SignInThrottle.AccountFailures; i++)
        {
            Assert.Contains(Wrong, (await clerk.SignInAsync(RunningIngest.Clinic1Name, $"guess {i}")).Body, StringComparison.Ordinal);
        }

        Page fifth = await clerk.SignInAsync(RunningIngest.Clinic1Name, "guess 5");
        Assert.Equal(423, fifth.Status);
        Assert.Contains(Locked, fifth.Body, StringComparison.Ordinal);

        // Locked: even the right password is refused, and nothing says whether it was right.
        Page right = await clerk.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword);
        Assert.Equal(423, right.Status);
        Assert.Contains(Locked, right.Body, StringComparison.Ordinal);

        // Another account is not affected.
        using var admin = new ConsoleClient(ingest);
        Assert.Equal(302, (await admin.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword)).Status);
        Page operators = await admin.GetAsync("/console/operators");
        Assert.Equal(200, operators.Status);
        AssertConsolePage(operators);
        Assert.Contains("ロック中 / Locked", operators.Body, StringComparison.Ordinal);

        Page unlocked = await admin.PostFormAsync("/console/operators", "/console/operators?handler=Unlock", [new("name", RunningIngest.Clinic1Name)]);
        Assert.Equal(200, unlocked.Status);
        Assert.Contains($"Unlocked {RunningIngest.Clinic1Name}", unlocked.Body, StringComparison.Ordinal);

        Assert.Equal(302, (await clerk.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword)).Status);
        string audit = await ingest.AuditTextAsync();
        Assert.Contains("\"operator\":\"城 管理者\",\"scope\":\"admin\",\"method\":\"POST\",\"route\":\"/console/operators/unlock\",\"status\":200,\"subjects\":[\"C01 受付\"]", audit, StringComparison.Ordinal);
        Assert.Contains("\"operator\":\"C01 受付\",\"scope\":\"clinic:C01\",\"method\":\"POST\",\"route\":\"/console/signin\",\"status\":423", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_ends_after_15_idle_minutes_and_activity_keeps_it()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);
        using var browser = new ConsoleClient(ingest);
        await browser.SignInAsync(RunningIngest.TransportName, RunningIngest.ConsolePassword);

        // Every page renews the session, even one early in it: after a page at 5 minutes, a 14-minute pause
        // (19 minutes since sign-in) keeps it, and so does another.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(200, (await browser.GetAsync("/console/")).Status);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(200, (await browser.GetAsync("/console/")).Status);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(200, (await browser.GetAsync("/console/")).Status);

        time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Page expired = await browser.GetAsync("/console/");
        Assert.Equal(302, expired.Status);
        Assert.Contains("/console/signin", expired.Location, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RunningIngest.TransportName)]
    [InlineData(RunningIngest.Clinic1Name)]
    public async Task A_scope_is_refused_the_admin_page_with_403(string clerk)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);
        await browser.SignInAsync(clerk, RunningIngest.ConsolePassword);

        Page refused = await browser.GetAsync("/console/operators");
        Assert.Equal(403, refused.Status);
        AssertConsolePage(refused);
        Assert.Contains("このページを見る権限がありません / You may not see this page", refused.Body, StringComparison.Ordinal);

        Page unlock = await browser.PostFormAsync("/console/", "/console/operators?handler=Unlock", [new("name", RunningIngest.AdminName)]);
        Assert.Equal(403, unlock.Status);
        Assert.DoesNotContain("/console/operators/unlock", await ingest.AuditTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_keeps_answering_401_and_403_as_problem_details_and_never_redirects()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var browser = new ConsoleClient(ingest);
        await browser.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword);

        // The console's cookie does not authorize the API: no cross-site request can ride on it.
        Page withCookie = await browser.GetAsync("/api/v1/devices");
        Assert.Equal(401, withCookie.Status);
        Assert.Equal("application/problem+json", withCookie.ContentType);
        Assert.Null(withCookie.Location);

        (int transport, string body) = await ingest.Get("/api/v1/devices", RunningIngest.TransportToken);
        Assert.Equal(403, transport);
        Assert.Equal("scope 'transport' may not read this sector", TestKit.ParseJson(body).GetProperty("detail").GetString());
        Assert.Equal(200, (await ingest.Get("/api/v1/devices", RunningIngest.AdminToken)).Status);

        // A bearer token does not open the console either: the console is signed in with its own cookie.
        using var req = new HttpRequestMessage(HttpMethod.Get, "/console/");
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RunningIngest.AdminToken);
        using HttpResponseMessage r = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = ingest.Http.BaseAddress }.SendAsync(req);
        Assert.Equal(302, (int)r.StatusCode);
    }

    [Fact]
    public async Task The_fleet_shows_every_device_with_its_status_and_the_long_silent_first()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        SetStatus(ingest, new DeviceStatus
        {
            Device = "BUS0042",
            State = "online",
            Firmware = "1.4.2",
            Backlog = 3,
            LastSeq = 11,
            OldestUnackedAt = now.AddMinutes(-7),
            CfgVersion = 5,
            DenyVersion = 8,
            At = now,
            Readers = [new ReaderStatus { Name = "pn532", Healthy = true }, new ReaderStatus { Name = "rc-s380", Healthy = false, LastError = "usb reset" }],
        });
        // Offline a minute ago: below the threshold, so not among the first.
        SetStatus(ingest, new DeviceStatus { Device = "BUS0043", State = "offline", At = now.AddMinutes(-1) });

        using var browser = new ConsoleClient(ingest);
        await browser.SignInAsync(RunningIngest.Clinic1Name, RunningIngest.ConsolePassword);
        Page fleet = await browser.GetAsync("/console/");
        Assert.Equal(200, fleet.Status);

        string[] devices = [.. System.Text.RegularExpressions.Regex.Matches(fleet.Body, "<tr data-device=\"([^\"]+)\"").Select(m => m.Groups[1].Value)];
        string[] silent = [.. TestKit.Registry.Devices.Select(d => d.Id).Where(id => id is not ("BUS0042" or "BUS0043")).Order(StringComparer.Ordinal)];
        Assert.Equal([.. silent, "BUS0042", "BUS0043"], devices);

        string bus = Row(fleet.Body, "BUS0042");
        Assert.Contains("<td>bus</td>", bus, StringComparison.Ordinal);
        Assert.Contains("オンライン / Online", bus, StringComparison.Ordinal);
        Assert.Contains("<td>3</td>", bus, StringComparison.Ordinal);
        Assert.Contains("7分前 / 7 min ago", bus, StringComparison.Ordinal);
        Assert.Contains("<td>1.4.2</td>", bus, StringComparison.Ordinal);
        Assert.Contains("1/2 正常 / healthy; rc-s380: usb reset", bus, StringComparison.Ordinal);
        Assert.Contains("<td>5</td>", bus, StringComparison.Ordinal);
        Assert.Contains("<td>8</td>", bus, StringComparison.Ordinal);
        Assert.Contains("class=\"alert\"", Row(fleet.Body, silent[0]), StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"alert\"", Row(fleet.Body, "BUS0043"), StringComparison.Ordinal);
        Assert.Contains("オフライン / Offline", Row(fleet.Body, "BUS0043"), StringComparison.Ordinal);
    }

    private static string Row(string body, string device)
    {
        int start = body.IndexOf($"<tr data-device=\"{device}\"", StringComparison.Ordinal);
        return body[start..body.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    /// <summary>A device's retained status as the ingest's subscription hands it over (the MQTT path has its own tests).</summary>
    private static void SetStatus(RunningIngest ingest, DeviceStatus status) =>
        ingest.Host.Pipeline.OnStatus(Topics.Status(status.Device), ContractJson.Serialize(status));
}
