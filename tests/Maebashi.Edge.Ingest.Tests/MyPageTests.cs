using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Web;
using Maebashi.Edge.Ingest.Web.MyPage;
using Microsoft.Extensions.Time.Testing;
using Page = Maebashi.Edge.Ingest.Tests.ConsoleClient.Page;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The citizens' My Page over real HTTP: enrollment codes from the admin API, enrollment and sign-in, the citizen's own
/// data and nobody else's, "report lost" and the run-time card status, which survives a restart until an admin clears it.
/// </summary>
[Trait("Category", "Web")]
public sealed partial class MyPageTests
{
    private const string Login = "maebashi-taro";
    private const string Password = "harunano-kaze-2026";

    // P0001 holds two cards; P0002 is someone else.
    private static readonly string Own = TestKit.Tok("04A1B2C3D4E5F6");
    private static readonly string OwnFelica = TestKit.Tok("0101120012345678");
    private static readonly string Other = TestKit.Tok("DEADBEEF");

    private static void AssertMyPage(Page page)
    {
        Assert.Equal("text/html", page.ContentType);
        Assert.Contains("<html lang=\"ja\">", page.Body, StringComparison.Ordinal);
        Assert.NotNull(page.ContentSecurityPolicy);
        Assert.DoesNotContain("unsafe-inline", page.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("no-store", page.CacheControl);
        Assert.Contains("name=\"viewport\"", page.Body, StringComparison.Ordinal);
    }

    private static async Task<string> IssueCode(RunningIngest ingest, string tok)
    {
        (int status, string body) = await ingest.Post($"/api/v1/cards/{tok}/enrollment", RunningIngest.AdminToken, "");
        Assert.Equal(200, status);
        return TestKit.ParseJson(body).GetProperty("code").GetString()!;
    }

    private static Task<Page> Enroll(ConsoleClient browser, string code, string login = Login, string password = Password) =>
        browser.PostFormAsync("/my/enroll", "/my/enroll", [new("code", code), new("login", login), new("password", password)]);

    private static Task<Page> SignIn(ConsoleClient browser, string login, string password) =>
        browser.PostFormAsync("/my/signin", "/my/signin", [new("login", login), new("password", password)]);

    private static async Task<ConsoleClient> EnrolledCitizen(RunningIngest ingest, string tok)
    {
        var browser = new ConsoleClient(ingest);
        Page enrolled = await Enroll(browser, await IssueCode(ingest, tok));
        Assert.Equal(302, enrolled.Status);
        Assert.Equal("/my/", enrolled.Location);
        return browser;
    }

    /// <summary>Every byte the ingest keeps in its data directory (the store's files, as it writes them), as text.</summary>
    private static string StoredText(RunningIngest ingest) => string.Concat(Directory.EnumerateFiles(ingest.Host.DataDirectory, "*", SearchOption.AllDirectories).Select(f =>
    {
        using var file = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var text = new StreamReader(file, Encoding.UTF8);
        return text.ReadToEnd();
    }));

    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")]
    private static partial Regex CodeShape();

    [Fact]
    public async Task An_enrollment_code_comes_from_an_admin_works_once_and_is_stored_only_as_its_hash()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);

        (int refused, _) = await ingest.Post($"/api/v1/cards/{Own}/enrollment", RunningIngest.TransportToken, "");
        Assert.Equal(403, refused);
        Assert.Equal(404, (await ingest.Post("/api/v1/cards/no-such-card/enrollment", RunningIngest.AdminToken, "")).Status);

        (int status, string body) = await ingest.Post($"/api/v1/cards/{Own}/enrollment", RunningIngest.AdminToken, "");
        Assert.Equal(200, status);
        string code = TestKit.ParseJson(body).GetProperty("code").GetString()!;
        Assert.Matches(CodeShape(), code); // 10 Crockford base32 characters: 50 bits
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromDays(14), TestKit.ParseJson(body).GetProperty("expiresAt").GetDateTimeOffset());

        string stored = StoredText(ingest);
        string canonical = code.Replace("-", "", StringComparison.Ordinal);
        Assert.DoesNotContain(canonical, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(code, stored, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(canonical))), stored, StringComparison.Ordinal);

        // Typed as people type it: lower case, no hyphen.
        using var citizen = new ConsoleClient(ingest);
        Page enrolled = await Enroll(citizen, canonical.ToLowerInvariant());
        Assert.Equal(302, enrolled.Status);
        Assert.Equal("/my/", enrolled.Location);
        Assert.DoesNotContain(Password, StoredText(ingest), StringComparison.Ordinal);

        // Once only, whatever login is chosen the second time.
        using var again = new ConsoleClient(ingest);
        Page second = await Enroll(again, code, "someone-else");
        Assert.Equal(400, second.Status);
        AssertMyPage(second);
        Assert.Contains("登録コードが無効です", second.Body, StringComparison.Ordinal);
        Assert.Equal(401, (await SignIn(again, "someone-else", Password)).Status);

        string audit = await ingest.AuditTextAsync();
        Assert.Contains($"\"operator\":\"城 管理者\",\"scope\":\"admin\",\"method\":\"POST\",\"route\":\"/api/v1/cards/{{tok}}/enrollment\",\"status\":200,\"subjects\":[\"{Own}\"]", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enrollment_code_expires_after_14_days()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);
        string code = await IssueCode(ingest, Own);

        time.Advance(TimeSpan.FromDays(14));
        using var citizen = new ConsoleClient(ingest);
        Page late = await Enroll(citizen, code);
        Assert.Equal(400, late.Status);
        Assert.Contains("登録コードが無効です", late.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_citizen_signs_in_with_their_own_cookie_and_sees_their_own_wallet_and_reads_and_nothing_of_another_person()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        await using (DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort))
        {
            // A trip S01 → S07 for the citizen, and one S01 → S03 for the other person.
            DateTimeOffset now = DateTimeOffset.UtcNow;
            await bus.SendAsync(TestKit.Batch("BUS0042",
                TestKit.Board(1, "04A1B2C3D4E5F6", now.AddMinutes(-50), "S01"), TestKit.Alight(2, "04A1B2C3D4E5F6", now.AddMinutes(-30), "S07"),
                TestKit.Board(3, "DEADBEEF", now.AddMinutes(-50), "S01"), TestKit.Alight(4, "DEADBEEF", now.AddMinutes(-40), "S03")));
        }

        Assert.Equal(200, (await ingest.Post($"/api/v1/cards/{Own}/charge", RunningIngest.TransportToken, """{"amount": 1234, "receipt": "R-MY-1"}""")).Status);
        Assert.Equal(200, (await ingest.Post($"/api/v1/cards/{Other}/charge", RunningIngest.TransportToken, """{"amount": 5555, "receipt": "R-MY-2"}""")).Status);
        // Who read whose data: the welfare clerk reads the citizen's wallet, and the other person's.
        Assert.Equal(200, (await ingest.Get($"/api/v1/cards/{OwnFelica}/wallet", RunningIngest.WelfareToken)).Status);
        Assert.Equal(200, (await ingest.Get($"/api/v1/cards/{Other}/wallet", RunningIngest.WelfareToken)).Status);
        (_, string ownWallet) = await ingest.Get($"/api/v1/cards/{Own}/wallet", RunningIngest.AdminToken);
        long value = TestKit.ParseJson(ownWallet).GetProperty("value").GetInt64();

        using (ConsoleClient enrolled = await EnrolledCitizen(ingest, Own))
        {
            // Not signed in: My Page sends the browser to its own sign-in page.
            using var stranger = new ConsoleClient(ingest);
            Page redirected = await stranger.GetAsync("/my/");
            Assert.Equal(302, redirected.Status);
            Assert.Contains("/my/signin", redirected.Location, StringComparison.Ordinal);
        }

        using var browser = new ConsoleClient(ingest);
        Page form = await browser.GetAsync("/my/signin");
        AssertMyPage(form);
        Page signedIn = await SignIn(browser, Login, Password);
        Assert.Equal(302, signedIn.Status);
        Assert.Equal("/my/", signedIn.Location);
        string cookie = Assert.Single(signedIn.SetCookies, c => c.StartsWith(MyPageHosting.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires", cookie, StringComparison.OrdinalIgnoreCase);

        Page my = await browser.GetAsync("/my/");
        Assert.Equal(200, my.Status);
        AssertMyPage(my);
        Assert.Contains($"data-value=\"{value}\"", my.Body, StringComparison.Ordinal);
        Assert.Contains("チャージ / Top-up", my.Body, StringComparison.Ordinal);
        Assert.Contains("<td>S01 → S07</td>", my.Body, StringComparison.Ordinal);
        Assert.Contains("<li>大人運賃 / Adult fare 340円 / ¥340</li>", my.Body, StringComparison.Ordinal);
        Assert.Contains("<li>運賃 340円 / Fare ¥340</li>", my.Body, StringComparison.Ordinal);
        // The other person's trip, as a trip cell would show it (a bare "S03" can occur in a random token of the page).
        Assert.DoesNotContain("→ S03", my.Body, StringComparison.Ordinal);
        Assert.Contains($"data-card=\"{Own}\"", my.Body, StringComparison.Ordinal);
        Assert.Contains($"data-card=\"{OwnFelica}\"", my.Body, StringComparison.Ordinal);
        Assert.Contains("<tr data-scope=\"welfare\">", my.Body, StringComparison.Ordinal);
        Assert.Contains("GET /api/v1/cards/{tok}/wallet (200)", my.Body, StringComparison.Ordinal);
        Assert.Contains("お知らせ / Notices", my.Body, StringComparison.Ordinal);

        // Nothing of the other person, and no PID, raw UID or sector ID of anyone.
        Assert.DoesNotContain(Other, my.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("5555", my.Body, StringComparison.Ordinal);
        foreach (string pid in TestKit.Pids)
        {
            Assert.DoesNotContain(pid, my.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(TestKit.Registry.SectorIdFor(pid, SectorId.Transport), my.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(TestKit.Registry.SectorIdFor(pid, SectorId.Welfare), my.Body, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("04A1B2C3D4E5F6", my.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("0101120012345678", my.Body, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(my.Body, "<tr data-scope=\"welfare\">")); // their own read, not the other person's

        // The console's session does not open My Page, nor My Page's the console.
        Assert.Equal(302, (await browser.GetAsync("/console/")).Status);
        using var clerk = new ConsoleClient(ingest);
        Assert.Equal(302, (await clerk.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword)).Status);
        Assert.Equal(302, (await clerk.GetAsync("/my/")).Status);
    }

    [Fact]
    [Trait("Category", "History")]
    public async Task My_Page_shows_the_entries_newest_first_a_page_at_a_time_with_a_link_to_the_older_ones()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        // 55 top-ups of ¥101 to ¥155 after the opening entry: more than a page of 50.
        for (int i = 1; i <= 55; i++)
        {
            Assert.Equal(200, (await ingest.Post($"/api/v1/cards/{Own}/charge", RunningIngest.TransportToken, $$"""{"amount": {{100 + i}}, "receipt": "R-PAGE-{{i}}"}""")).Status);
        }

        using ConsoleClient browser = await EnrolledCitizen(ingest, Own);
        Page newest = await browser.GetAsync("/my/");
        Assert.Equal(200, newest.Status);
        Assert.Contains("全56件 / 56 entries", newest.Body, StringComparison.Ordinal);
        Assert.Contains("<td>155</td>", newest.Body, StringComparison.Ordinal);
        Assert.Contains("<td>106</td>", newest.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>105</td>", newest.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("最新の明細 / Newest entries", newest.Body, StringComparison.Ordinal);

        string older = Regex.Match(newest.Body, "href=\"(/my\\?before=[0-9]+)#entries\" rel=\"next\"").Groups[1].Value;
        Page second = await browser.GetAsync(older);
        Assert.Equal(200, second.Status);
        AssertMyPage(second);
        Assert.Contains("<td>105</td>", second.Body, StringComparison.Ordinal);
        Assert.Contains("<td>101</td>", second.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>106</td>", second.Body, StringComparison.Ordinal);
        Assert.Contains("最新の明細 / Newest entries", second.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", second.Body, StringComparison.Ordinal);

        Page bad = await browser.GetAsync("/my/?before=-1");
        Assert.Equal(400, bad.Status);
        Assert.Contains(Maebashi.Edge.Ingest.Web.Pages.My.MyIndexModel.BadEntriesPageMessage, bad.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_lost_puts_the_card_on_the_deny_list_at_once_and_the_page_confirms_the_new_version()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort);
        DenyList before = await bus.WaitDenyAsync(_ => true, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(Own, before.Tokens);
        using ConsoleClient citizen = await EnrolledCitizen(ingest, Own);

        // Someone else's card is not theirs to report: the same answer as no card at all, and nothing changes.
        Page foreign = await citizen.PostFormAsync("/my/", "/my/?handler=ReportLost", [new("token", Other)]);
        Assert.Equal(404, foreign.Status);
        Assert.DoesNotContain(Other, foreign.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(Other, ingest.Host.Pipeline.CurrentDenyList().Tokens);

        Page reported = await citizen.PostFormAsync("/my/", "/my/?handler=ReportLost", [new("token", Own)]);
        Assert.Equal(200, reported.Status);
        AssertMyPage(reported);
        DenyList after = await bus.WaitDenyAsync(d => d.Tokens.Contains(Own), TimeSpan.FromSeconds(1));
        Assert.True(after.Version > before.Version);
        Assert.Contains($"拒否リスト 第{after.Version}版", reported.Body, StringComparison.Ordinal);
        Assert.Contains($"deny list version {after.Version}", reported.Body, StringComparison.Ordinal);
        Assert.Contains("利用停止中（紛失） / Blocked (lost)", reported.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(OwnFelica, after.Tokens); // only the card reported

        Assert.Equal(after.Version, ingest.Host.Pipeline.CurrentDenyList().Version);
        string audit = await ingest.AuditTextAsync();
        Assert.Contains($"\"scope\":\"citizen\",\"method\":\"POST\",\"route\":\"/my/cards/lost\",\"status\":200,\"subjects\":[\"{Own}\"]", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_status_survives_a_restart_over_the_registry_export_and_only_an_admin_clears_it()
    {
        string data = TestKit.TempDir();
        long lostVersion;
        await using (RunningIngest ingest = await RunningIngest.StartAsync(data: data))
        {
            using ConsoleClient citizen = await EnrolledCitizen(ingest, Own);
            Assert.Equal(200, (await citizen.PostFormAsync("/my/", "/my/?handler=ReportLost", [new("token", Own)])).Status);
            lostVersion = ingest.Host.Pipeline.CurrentDenyList().Version;
        }

        // The registry export (unchanged: the card is active there) is loaded afresh; the store's status wins.
        await using RunningIngest restarted = await RunningIngest.StartAsync(data: data);
        DenyList list = restarted.Host.Pipeline.CurrentDenyList();
        Assert.Contains(Own, list.Tokens);
        Assert.True(list.Version > lostVersion);
        (int status, string body) = await restarted.Get($"/api/v1/cards/{Own}/status", RunningIngest.AdminToken);
        Assert.Equal(200, status);
        Assert.Equal("lost", TestKit.ParseJson(body).GetProperty("status").GetString());

        // The citizen's account survived too, and the page shows the card blocked.
        using var citizenAgain = new ConsoleClient(restarted);
        Assert.Equal(302, (await SignIn(citizenAgain, Login, Password)).Status);
        Assert.Contains("利用停止中（紛失） / Blocked (lost)", (await citizenAgain.GetAsync("/my/")).Body, StringComparison.Ordinal);

        foreach (string token in new[] { RunningIngest.TransportToken, RunningIngest.WelfareToken, RunningIngest.Clinic1Token })
        {
            Assert.Equal(403, (await Delete(restarted, $"/api/v1/cards/{Own}/status", token)).Status);
        }

        Assert.Contains(Own, restarted.Host.Pipeline.CurrentDenyList().Tokens);
        (int cleared, string clearedBody) = await Delete(restarted, $"/api/v1/cards/{Own}/status", RunningIngest.AdminToken);
        Assert.Equal(200, cleared);
        Assert.True(TestKit.ParseJson(clearedBody).GetProperty("cleared").GetBoolean());
        DenyList after = restarted.Host.Pipeline.CurrentDenyList();
        Assert.DoesNotContain(Own, after.Tokens);
        Assert.Equal(after.Version, TestKit.ParseJson(clearedBody).GetProperty("denyVersion").GetInt64());
        Assert.True(after.Version > list.Version);

        // The registry's own lost card stays on the list: clearing is for run-time statuses only.
        Assert.Contains(TestKit.Tok("11223344"), after.Tokens);
        string audit = await restarted.AuditTextAsync();
        Assert.Contains($"\"operator\":\"城 管理者\",\"scope\":\"admin\",\"method\":\"DELETE\",\"route\":\"/api/v1/cards/{{tok}}/status\",\"status\":200,\"subjects\":[\"{Own}\"]", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task My_Page_forms_without_their_antiforgery_token_are_refused()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using ConsoleClient citizen = await EnrolledCitizen(ingest, Own);

        Page report = await citizen.PostFormAsync("/my/", "/my/?handler=ReportLost", [new("token", Own)], withToken: false);
        Assert.Equal(400, report.Status);
        Assert.DoesNotContain(Own, ingest.Host.Pipeline.CurrentDenyList().Tokens);

        using var other = new ConsoleClient(ingest);
        await other.GetAsync("/my/signin");
        Page signIn = await other.PostFormAsync("/my/signin", "/my/signin", [new("login", Login), new("password", Password)], withToken: false);
        Assert.Equal(400, signIn.Status);
        Assert.DoesNotContain(signIn.SetCookies, c => c.StartsWith(MyPageHosting.CookieName + "=", StringComparison.Ordinal));

        string code = await IssueCode(ingest, OwnFelica);
        Page enroll = await other.PostFormAsync("/my/enroll", "/my/enroll", [new("code", code), new("login", "x-login"), new("password", Password)], withToken: false);
        Assert.Equal(400, enroll.Status);
        Assert.Equal(302, (await Enroll(other, code, "x-login")).Status); // the code was not used up by the refused post
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_a_citizen_account_and_the_right_one_is_refused_too()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        (await EnrolledCitizen(ingest, Own)).Dispose();
        using var browser = new ConsoleClient(ingest);
        for (int i = 1; i < SignInThrottle.AccountFailures; i++)
        {
            Assert.Equal(401, (await SignIn(browser, Login, $"guess number {i}")).Status);
        }

        Page fifth = await SignIn(browser, Login, "guess number 5");
        Assert.Equal(423, fifth.Status);
        Assert.Contains("アカウントがロックされています / Account locked", fifth.Body, StringComparison.Ordinal);
        Page right = await SignIn(browser, Login, Password);
        Assert.Equal(423, right.Status);
        Assert.DoesNotContain(right.SetCookies, c => c.StartsWith(MyPageHosting.CookieName + "=", StringComparison.Ordinal));

        // Operators are counted apart: the console still signs in.
        using var clerk = new ConsoleClient(ingest);
        Assert.Equal(302, (await clerk.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword)).Status);
    }

    [Fact]
    public async Task A_citizen_session_ends_after_15_idle_minutes()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);
        using ConsoleClient citizen = await EnrolledCitizen(ingest, Own);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(200, (await citizen.GetAsync("/my/")).Status);
        time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Page expired = await citizen.GetAsync("/my/");
        Assert.Equal(302, expired.Status);
        Assert.Contains("/my/signin", expired.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_issues_a_code_from_the_console_and_other_scopes_may_not()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var transport = new ConsoleClient(ingest);
        await transport.SignInAsync(RunningIngest.TransportName, RunningIngest.ConsolePassword);
        Assert.Equal(403, (await transport.GetAsync("/console/enrollment")).Status);
        Assert.Equal(403, (await transport.PostFormAsync("/console/", "/console/enrollment", [new("token", Own)])).Status);

        using var admin = new ConsoleClient(ingest);
        await admin.SignInAsync(RunningIngest.AdminName, RunningIngest.ConsolePassword);
        Assert.Contains("href=\"/console/enrollment\"", (await admin.GetAsync("/console/")).Body, StringComparison.Ordinal);
        Page issued = await admin.PostFormAsync("/console/enrollment", "/console/enrollment", [new("token", Own)]);
        Assert.Equal(200, issued.Status);
        string code = Regex.Match(issued.Body, "data-code=\"([^\"]+)\"").Groups[1].Value;
        Assert.Matches(CodeShape(), code);
        Assert.Equal(404, (await admin.PostFormAsync("/console/enrollment", "/console/enrollment", [new("token", "no-such-card")])).Status);

        using var citizen = new ConsoleClient(ingest);
        Assert.Equal(302, (await Enroll(citizen, code)).Status);
        string audit = await ingest.AuditTextAsync();
        Assert.Contains($"\"operator\":\"城 管理者\",\"scope\":\"admin\",\"method\":\"POST\",\"route\":\"/console/enrollment\",\"status\":200,\"subjects\":[\"{Own}\"]", audit, StringComparison.Ordinal);
    }

    private static async Task<(int Status, string Body)> Delete(RunningIngest ingest, string path, string token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Delete, path);
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage r = await ingest.Http.SendAsync(req);
        return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
    }
}
