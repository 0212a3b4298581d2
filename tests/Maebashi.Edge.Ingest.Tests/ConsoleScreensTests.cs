using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Ingest.Web;
using Maebashi.Edge.Ingest.Web.Pages;
using Microsoft.Extensions.Time.Testing;
using Page = Maebashi.Edge.Ingest.Tests.ConsoleClient.Page;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The console's read-only screens over real HTTP: admin's deny list, audit log and quarantine, a clinic's live
/// reception queue and welfare's events, each for its scope and refused to the others.
/// </summary>
[Trait("Category", "Web")]
public sealed partial class ConsoleScreensTests
{
    private const string WelfareName = "福祉 係";
    private const string Clinic2Name = "C02 受付";
    private const string Refused = "このページを見る権限がありません / You may not see this page";

    private static DateTimeOffset J(int h, int m) => new(2026, 11, 30, h, m, 0, TestKit.Jst);

    private static void Process(RunningIngest ingest, string device, params JsonObject[] events)
    {
        byte[] payload = TestKit.Batch(device, events);
        ingest.Host.Pipeline.ProcessBatch(TestKit.Topic(device), payload, TestKit.Mac(device, payload));
    }

    private static async Task<ConsoleClient> SignedIn(RunningIngest ingest, string name)
    {
        var browser = new ConsoleClient(ingest);
        Assert.Equal(302, (await browser.SignInAsync(name, RunningIngest.ConsolePassword)).Status);
        return browser;
    }

    private static Task<string[]> AuditLines(RunningIngest ingest) => ingest.AuditLinesAsync();

    private static string[] RowsOf(string body, string attribute) =>
        [.. Regex.Matches(body, $"<tr [^>]*\\b{attribute}=\"([^\"]+)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    private static string Row(string body, string attribute, string value)
    {
        int start = body.IndexOf($"<tr {attribute}=\"{value}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row {attribute}={value}");
        return body[start..body.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    private static void AssertNoPidOrUid(string body)
    {
        foreach (string pid in TestKit.Pids)
        {
            Assert.DoesNotContain(pid, body, StringComparison.Ordinal);
        }

        foreach (string uid in TestKit.Uids)
        {
            Assert.DoesNotContain(uid, body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("/console/denylist")]
    [InlineData("/console/audit")]
    [InlineData("/console/quarantine")]
    [InlineData("/console/quarantine/payload?id=x")]
    public async Task Admin_screens_are_refused_to_every_other_scope_with_403_and_missing_from_their_nav(string path)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        foreach (string clerk in new[] { RunningIngest.TransportName, WelfareName, RunningIngest.Clinic1Name })
        {
            using ConsoleClient browser = await SignedIn(ingest, clerk);
            Page refused = await browser.GetAsync(path);
            Assert.Equal(403, refused.Status);
            Assert.Contains(Refused, refused.Body, StringComparison.Ordinal);
            string href = path.Split('?')[0];
            Assert.DoesNotContain($"href=\"{href}\"", (await browser.GetAsync("/console/")).Body, StringComparison.Ordinal);
        }

        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        if (!path.Contains('?', StringComparison.Ordinal))
        {
            Assert.Contains($"href=\"{path}\"", (await admin.GetAsync("/console/")).Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_deny_list_shows_each_card_by_token_and_transport_ID_with_why_and_the_version_devices_hold()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(Clocks.At("2026-11-30T12:00:00+09:00"));
        // P0005 rides twice S01 → S07 with no value: 340 each, −680 is past the debt limit, so every card of theirs is denied.
        Process(ingest, "BUS0042",
            TestKit.Board(1, "CAFEBABE", J(8, 0), "S01"), TestKit.Alight(2, "CAFEBABE", J(8, 20), "S07"),
            TestKit.Board(3, "CAFEBABE", J(9, 0), "S01"), TestKit.Alight(4, "CAFEBABE", J(9, 20), "S07"));
        // P0001 reports a card lost at run time (My Page does this).
        string reported = TestKit.Tok("0101120012345678");
        Assert.True(ingest.Host.Pipeline.SetCardStatus(reported, Maebashi.Edge.Ingest.Pipeline.CardRunStatus.Lost).Changed);

        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page page = await admin.GetAsync("/console/denylist");
        Assert.Equal(200, page.Status);
        Assert.Contains("拒否リスト / Deny list</h1>", page.Body, StringComparison.Ordinal);
        long version = ingest.Host.Pipeline.CurrentDenyList().Version;
        Assert.Contains($"data-deny-version=\"{version}\"", page.Body, StringComparison.Ordinal);
        Assert.Contains($"Version {version} (3 cards)", page.Body, StringComparison.Ordinal);

        string lost = TestKit.Tok("11223344");
        string debt = TestKit.Tok("CAFEBABE");
        Assert.Equal(new[] { lost, debt, reported }.Order(StringComparer.Ordinal), RowsOf(page.Body, "data-token"));
        Assert.Contains("紛失 / Lost", Row(page.Body, "data-token", reported), StringComparison.Ordinal);
        Assert.Contains(TestKit.Registry.SectorIdFor("P0001", SectorId.Transport), Row(page.Body, "data-token", reported), StringComparison.Ordinal);
        string transportId = TestKit.Registry.SectorIdFor("P0005", SectorId.Transport);
        Assert.Contains("紛失 / Lost", Row(page.Body, "data-token", lost), StringComparison.Ordinal);
        Assert.Contains(transportId, Row(page.Body, "data-token", lost), StringComparison.Ordinal);
        Assert.Contains("未払い / Debt", Row(page.Body, "data-token", debt), StringComparison.Ordinal);
        Assert.Contains(transportId, Row(page.Body, "data-token", debt), StringComparison.Ordinal);
        AssertNoPidOrUid(page.Body);
        Assert.Contains(await AuditLines(ingest), l => l.Contains("\"route\":\"/console/denylist\"", StringComparison.Ordinal) && l.Contains(debt, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "CardAuth")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_card_that_gave_a_clone_signal_is_on_the_deny_list_as_a_suspected_clone_and_unauthenticated_cards_are_marked()
    {
        // The sample registry with P0001's Type A card declared an NTAG 424 DNA, and the city's master key.
        string dir = TestKit.TempDir();
        System.Text.Json.Nodes.JsonNode doc = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(SharedFixtures.RegistryPath))!;
        doc["cards"]![0]!["auth"] = "ntag424-sun";
        string registry = Path.Combine(dir, "registry.json");
        await File.WriteAllTextAsync(registry, doc.ToJsonString());
        string keys = Path.Combine(dir, "card.keys");
        await File.WriteAllTextAsync(keys, "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n");
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using RunningIngest ingest = await RunningIngest.StartAsync(Clocks.At("2026-11-30T12:00:00+09:00"), registry: registry, cardKeys: keys);

        // A UID copy of the card that learned the trick of sending some SUN-shaped bytes: a bad MAC.
        System.Text.Json.Nodes.JsonObject forged = TestKit.Board(1, "04A1B2C3D4E5F6", J(8, 0), "S01");
        forged["card"]!["sun"] = new System.Text.Json.Nodes.JsonObject { ["e"] = new string('1', 32), ["c"] = new string('2', 16) };
        Process(ingest, "BUS0042", forged, TestKit.Board(2, "CAFEBABE", J(8, 5), "S01"), TestKit.Alight(3, "CAFEBABE", J(8, 25), "S07"),
            TestKit.Board(4, "CAFEBABE", J(9, 0), "S01"), TestKit.Alight(5, "CAFEBABE", J(9, 20), "S07"));

        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page page = await admin.GetAsync("/console/denylist");
        string cloned = TestKit.Tok("04A1B2C3D4E5F6");
        string row = Row(page.Body, "data-token", cloned);
        Assert.Contains("data-reason=\"clone\"", row, StringComparison.Ordinal);
        Assert.Contains("複製の疑い / Suspected clone", row, StringComparison.Ordinal);
        Assert.Contains("SUN 認証 / SUN authenticated", row, StringComparison.Ordinal);
        Assert.Contains("未認証（UIDのみ） / Unauthenticated (UID only)", Row(page.Body, "data-token", TestKit.Tok("CAFEBABE")), StringComparison.Ordinal);
        AssertNoPidOrUid(page.Body);
    }

    [Fact]
    [Trait("Category", "CardAuth")]
    public async Task A_card_used_at_two_places_too_far_apart_for_the_time_between_is_listed_for_review_and_not_denied()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(Clocks.At("2026-11-30T12:00:00+09:00"));
        // P0001's card boards at 前橋駅北口 (S01) and, a minute later, at 群大病院 (S07) 3.3 km away on the other bus.
        Process(ingest, "BUS0042", TestKit.Board(1, "04A1B2C3D4E5F6", J(8, 0), "S01"));
        Process(ingest, "BUS0043", TestKit.Board(1, "04A1B2C3D4E5F6", J(8, 1), "S07", vehicle: "V0043"));
        // P0002 rides S01 → S07 in 20 minutes: a bus does that.
        Process(ingest, "BUS0042", TestKit.Board(2, "DEADBEEF", J(9, 0), "S01"), TestKit.Alight(3, "DEADBEEF", J(9, 20), "S07"));

        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page page = await admin.GetAsync("/console/denylist");
        string card = TestKit.Tok("04A1B2C3D4E5F6");
        Assert.Equal([card], RowsOf(page.Body, "data-review-card"));
        string row = Row(page.Body, "data-review-card", card);
        Assert.Contains("BUS0042 2026-11-30 08:00:00", row, StringComparison.Ordinal);
        Assert.Contains("BUS0043 2026-11-30 08:01:00", row, StringComparison.Ordinal);
        Assert.Contains("km in 1 min", row, StringComparison.Ordinal);
        Assert.DoesNotContain(card, ingest.Host.Pipeline.CurrentDenyList().Tokens);
        AssertNoPidOrUid(page.Body);
    }

    [Fact]
    public async Task The_audit_log_lists_newest_first_filters_by_operator_and_pages_to_its_start()
    {
        FakeTimeProvider time = Clocks.At("2026-12-05T09:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);
        string tok = TestKit.Tok("04A1B2C3D4E5F6");
        for (int i = 0; i < Pager.PageSize + 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(200, (await ingest.Get($"/api/v1/cards/{tok}/wallet", RunningIngest.TransportToken)).Status);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await ingest.Get($"/api/v1/cards/{tok}/wallet", RunningIngest.WelfareToken)).Status);
        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);

        Page newest = await admin.GetAsync("/console/audit");
        Assert.Equal(200, newest.Status);
        string[] operators = RowsOf(newest.Body, "data-operator");
        Assert.Equal(Pager.PageSize, operators.Length);
        // The admin's own sign-in is the newest line, then the welfare read, then transport's.
        Assert.Equal([RunningIngest.AdminName, WelfareName, RunningIngest.TransportName], operators[..3]);
        string[] times = [.. Regex.Matches(newest.Body, "<td>(2026-12-05 [0-9:]+)</td>").Select(m => m.Groups[1].Value)];
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);
        Assert.Equal("2026-12-05 09:01:01", times[0]);

        Page transport = await admin.GetAsync("/console/audit?operator=" + Uri.EscapeDataString(RunningIngest.TransportName));
        Assert.All(RowsOf(transport.Body, "data-operator"), o => Assert.Equal(RunningIngest.TransportName, o));
        Assert.Equal(Pager.PageSize, RowsOf(transport.Body, "data-operator").Length);
        Assert.Contains($"GET /api/v1/cards/{{tok}}/wallet", transport.Body, StringComparison.Ordinal);
        Assert.Contains(tok, transport.Body, StringComparison.Ordinal);

        string older = WebUtility.HtmlDecode(Regex.Match(transport.Body, "href=\"([^\"]+)\" rel=\"next\"").Groups[1].Value);
        Page rest = await admin.GetAsync(older);
        Assert.Equal(200, rest.Status);
        Assert.Equal(10, RowsOf(rest.Body, "data-operator").Length);
        Assert.All(RowsOf(rest.Body, "data-operator"), o => Assert.Equal(RunningIngest.TransportName, o));
        Assert.Contains("記録の始まり / Start of the log", rest.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", rest.Body, StringComparison.Ordinal);

        Page bad = await admin.GetAsync("/console/audit?before=-1");
        Assert.Equal(400, bad.Status);
        Assert.Contains("before: expected the position a page link gives", bad.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quarantine_is_paged_newest_first_filtered_by_device_and_reason_and_its_payload_download_is_audited()
    {
        FakeTimeProvider time = Clocks.At("2026-11-30T12:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);
        // Pager.PageSize + 5 events of unknown cards (one record each) and one batch with a wrong mac.
        JsonObject[] unknown = [.. Enumerable.Range(1, Pager.PageSize + 5).Select(i =>
        {
            JsonObject e = TestKit.Board((ulong)i, "04A1B2C3D4E5F6", J(8, 0).AddSeconds(i), "S01");
            e["card"]!["tok"] = "AAAAAAAAAAAAAAAAAAAAAA";
            return e;
        })];
        Process(ingest, "BUS0042", unknown);
        time.Advance(TimeSpan.FromMinutes(1));
        byte[] forged = TestKit.Batch("BUS0043", TestKit.Board(1, "04A1B2C3D4E5F6", J(9, 0), "S01"));
        ingest.Host.Pipeline.ProcessBatch(TestKit.Topic("BUS0043"), forged, TestKit.Mac("BUS0042", forged));

        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page first = await admin.GetAsync("/console/quarantine");
        Assert.Equal(200, first.Status);
        string[] firstIds = RowsOf(first.Body, "data-quarantine");
        Assert.Equal(Pager.PageSize, firstIds.Length);
        Assert.Equal("BUS0043", RowsOf(first.Body, "data-device")[0]); // the newest
        Assert.DoesNotContain("最新 / Newest", first.Body, StringComparison.Ordinal);

        Page second = await admin.GetAsync(OlderLink(first.Body));
        string[] secondIds = RowsOf(second.Body, "data-quarantine");
        Assert.Equal(6, secondIds.Length);
        Assert.Empty(firstIds.Intersect(secondIds));
        Assert.Contains("最新 / Newest", second.Body, StringComparison.Ordinal);
        Assert.Contains("隔離の始まり / Start of the quarantine", second.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", second.Body, StringComparison.Ordinal);

        Page byDevice = await admin.GetAsync("/console/quarantine?device=BUS0043");
        string id = Assert.Single(RowsOf(byDevice.Body, "data-quarantine"));
        Assert.Equal(["BadMac"], RowsOf(byDevice.Body, "data-code").Distinct());
        Page byCode = await admin.GetAsync("/console/quarantine?code=UnknownCard");
        Assert.Equal(Pager.PageSize, RowsOf(byCode.Body, "data-quarantine").Length);
        string olderByCode = OlderLink(byCode.Body);
        Assert.StartsWith("/console/quarantine?code=UnknownCard&before=", olderByCode, StringComparison.Ordinal);
        Page byCodeRest = await admin.GetAsync(olderByCode);
        Assert.Equal(5, RowsOf(byCodeRest.Body, "data-quarantine").Length);
        Assert.All(RowsOf(byCodeRest.Body, "data-code"), c => Assert.Equal("UnknownCard", c));
        Assert.Empty(RowsOf((await admin.GetAsync("/console/quarantine?device=BUS0043&code=UnknownCard")).Body, "data-quarantine"));

        using var http = new HttpClient(new HttpClientHandler { CookieContainer = admin.Cookies, AllowAutoRedirect = false }) { BaseAddress = ingest.Http.BaseAddress };
        using HttpResponseMessage download = await http.GetAsync("/console/quarantine/payload?id=" + Uri.EscapeDataString(id));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(forged, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("no-store", download.Headers.CacheControl?.ToString());
        Assert.Contains(await AuditLines(ingest), l => l.Contains("\"operator\":\"城 管理者\"", StringComparison.Ordinal)
            && l.Contains("\"route\":\"/console/quarantine/payload\",\"status\":200,\"subjects\":[\"" + id + "\"]", StringComparison.Ordinal));

        Assert.Equal(404, (await admin.GetAsync("/console/quarantine/payload?id=nothing-here")).Status);
        Assert.Equal(404, (await admin.GetAsync("/console/quarantine/payload?id=999999")).Status);
    }

    private static string OlderLink(string body) => WebUtility.HtmlDecode(Regex.Match(body, "href=\"([^\"]+)\" rel=\"next\"").Groups[1].Value);

    [Theory]
    [InlineData("/console/quarantine?before=0")]
    [InlineData("/console/quarantine?before=-3")]
    [InlineData("/console/quarantine?before=two")]
    public async Task A_quarantine_position_that_no_page_link_gives_is_refused_saying_so(string path)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page page = await admin.GetAsync(path);
        Assert.Equal(400, page.Status);
        Assert.Contains(QuarantineModel.BadBeforeMessage, page.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/console/denylist?p=0")]
    [InlineData("/console/events?p=0")]
    public async Task A_page_number_that_is_not_a_whole_number_from_1_is_refused_saying_so(string path)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page page = await admin.GetAsync(path);
        Assert.Equal(400, page.Status);
        Assert.Contains(Pager.BadPageMessage, page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_past_the_last_shows_the_last()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using ConsoleClient admin = await SignedIn(ingest, RunningIngest.AdminName);
        Page page = await admin.GetAsync("/console/denylist?p=99999");
        Assert.Equal(200, page.Status);
        Assert.Contains("Page 1 of 1 (1 items)", page.Body, StringComparison.Ordinal);
        Assert.Equal([TestKit.Tok("11223344")], RowsOf(page.Body, "data-token"));
    }

    private static async Task<JsonElement> PollAsync(ConsoleClient browser, string path)
    {
        Page poll = await browser.GetAsync(path);
        Assert.Equal(200, poll.Status);
        Assert.Equal("application/json", poll.ContentType);
        Assert.Equal("no-store", poll.CacheControl);
        return TestKit.ParseJson(poll.Body);
    }

    [Fact]
    public async Task A_clinic_clerk_sees_todays_queue_and_a_new_check_in_through_the_polled_json()
    {
        FakeTimeProvider time = Clocks.At("2026-11-30T12:00:00+09:00");
        await using RunningIngest ingest = await RunningIngest.StartAsync(time);
        Process(ingest, "CLN01", TestKit.Checkin(1, "04BADA55C0FFEE", J(10, 0), "C01", 1), TestKit.Checkin(2, "04C0FFEE123456", J(10, 5), "C01", 2));
        string child = TestKit.Registry.SectorIdFor("P0007", SectorId.Clinic("C01"));
        string adult = TestKit.Registry.SectorIdFor("P0004", SectorId.Clinic("C01"));

        using ConsoleClient clerk = await SignedIn(ingest, RunningIngest.Clinic1Name);
        Assert.Contains("href=\"/console/clinics/C01/queue\"", (await clerk.GetAsync("/console/")).Body, StringComparison.Ordinal);
        Page page = await clerk.GetAsync("/console/clinics/C01/queue");
        Assert.Equal(200, page.Status);
        Assert.Contains("受付 前橋中央クリニック (C01) / Reception", page.Body, StringComparison.Ordinal);
        Assert.Equal(["1", "2"], RowsOf(page.Body, "data-queue"));
        Assert.Contains(child, Row(page.Body, "data-queue", "1"), StringComparison.Ordinal);
        Assert.Contains("対象 / Eligible", Row(page.Body, "data-queue", "1"), StringComparison.Ordinal);
        Assert.Contains("10:00:00", Row(page.Body, "data-queue", "1"), StringComparison.Ordinal);
        Assert.Contains(adult, Row(page.Body, "data-queue", "2"), StringComparison.Ordinal);
        Assert.Contains("対象外 / Not eligible", Row(page.Body, "data-queue", "2"), StringComparison.Ordinal);
        AssertNoPidOrUid(page.Body);

        // Live: an external script (the CSP allows no inline one) polls the JSON, well within the 2 s a check-in may take.
        Assert.Contains("data-live=\"true\"", page.Body, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/console/static/clinic-queue.js\" defer></script>", page.Body, StringComparison.Ordinal);
        Assert.True(int.Parse(Regex.Match(page.Body, "data-poll-ms=\"([0-9]+)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 1000);
        Assert.Contains("connect-src 'self'", page.ContentSecurityPolicy, StringComparison.Ordinal);
        Page script = await clerk.GetAsync("/console/static/clinic-queue.js");
        Assert.Equal(200, script.Status);
        Assert.Contains("fetch(", script.Body, StringComparison.Ordinal);
        string pollUrl = WebUtility.HtmlDecode(Regex.Match(page.Body, "data-poll-url=\"([^\"]+)\"").Groups[1].Value);
        Assert.Equal("/console/clinics/C01/queue.json?date=2026-11-30", pollUrl);
        string version = Regex.Match(page.Body, "data-version=\"([^\"]+)\"").Groups[1].Value;

        // Nothing new: no rows, and no read of anyone's data to audit.
        int auditBefore = (await AuditLines(ingest)).Length;
        JsonElement quiet = await PollAsync(clerk, $"{pollUrl}&v={version}");
        Assert.False(quiet.GetProperty("changed").GetBoolean());
        Assert.Equal(JsonValueKind.Null, quiet.GetProperty("checkins").ValueKind);
        Assert.Equal(auditBefore, (await AuditLines(ingest)).Length);

        time.Advance(TimeSpan.FromSeconds(30));
        Process(ingest, "CLN01", TestKit.Checkin(3, "1A2B3C4D", J(12, 0), "C01", 3));
        JsonElement news = await PollAsync(clerk, $"{pollUrl}&v={version}");
        Assert.True(news.GetProperty("changed").GetBoolean());
        Assert.NotEqual(version, news.GetProperty("version").GetString());
        JsonElement third = news.GetProperty("checkins")[2];
        string newcomer = TestKit.Registry.SectorIdFor("P0003", SectorId.Clinic("C01"));
        Assert.Equal(3, third.GetProperty("queue").GetInt32());
        Assert.Equal(newcomer, third.GetProperty("patientNo").GetString());
        Assert.Equal("12:00:00", third.GetProperty("time").GetString());
        AssertNoPidOrUid(news.ToString());
        Assert.Contains(await AuditLines(ingest), l => l.Contains("\"route\":\"/console/clinics/{clinicId}/queue.json\"", StringComparison.Ordinal) && l.Contains(newcomer, StringComparison.Ordinal));

        // A past day, by date: no live updates; a date that is not one is refused saying so.
        Page past = await clerk.GetAsync("/console/clinics/C01/queue?date=2026-11-29");
        Assert.Equal(200, past.Status);
        Assert.Empty(RowsOf(past.Body, "data-queue"));
        Assert.Contains("data-live=\"false\"", past.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", past.Body, StringComparison.Ordinal);
        Page bad = await clerk.GetAsync("/console/clinics/C01/queue?date=30.11.2026");
        Assert.Equal(400, bad.Status);
        Assert.Contains("date: expected YYYY-MM-DD", bad.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Clinic2Name)]
    [InlineData(RunningIngest.TransportName)]
    [InlineData(WelfareName)]
    public async Task Another_clinic_and_other_scopes_are_refused_a_clinics_queue_and_its_json(string name)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(Clocks.At("2026-11-30T12:00:00+09:00"));
        Process(ingest, "CLN01", TestKit.Checkin(1, "04BADA55C0FFEE", J(10, 0), "C01", 1));
        using ConsoleClient other = await SignedIn(ingest, name);

        Page page = await other.GetAsync("/console/clinics/C01/queue");
        Assert.Equal(403, page.Status);
        Assert.Contains(Refused, page.Body, StringComparison.Ordinal);
        Page json = await other.GetAsync("/console/clinics/C01/queue.json?date=2026-11-30");
        Assert.Equal(403, json.Status);
        Assert.DoesNotContain(TestKit.Registry.SectorIdFor("P0007", SectorId.Clinic("C01")), json.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("/console/clinics/C01/", (await other.GetAsync("/console/")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Welfare_sees_each_events_participants_and_points_and_the_totals_per_source()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(Clocks.At("2026-11-30T12:00:00+09:00"));
        Process(ingest, "EVT01", TestKit.EventIn(1, "0F0E0D0C", J(8, 10), "E-WALK-1130"), TestKit.EventIn(2, "04A1B2C3D4E5F6", J(8, 15), "E-WALK-1130"));
        long points = ingest.Host.Pipeline.Store.Participations("E-WALK-1130").Sum(p => p.Points);
        Assert.True(points > 0);

        using ConsoleClient welfare = await SignedIn(ingest, WelfareName);
        Assert.Contains("href=\"/console/events\"", (await welfare.GetAsync("/console/")).Body, StringComparison.Ordinal);
        Page events = await welfare.GetAsync("/console/events");
        Assert.Equal(200, events.Status);
        Assert.Equal(["E-WALK-1130", "E-CLEANUP-1129"], RowsOf(events.Body, "data-event"));
        string walk = Row(events.Body, "data-event", "E-WALK-1130");
        Assert.Contains("広瀬川ウォーキング (E-WALK-1130)", walk, StringComparison.Ordinal);
        Assert.Contains("健康 / Health", walk, StringComparison.Ordinal);
        Assert.Contains($"<td>2</td>\n            <td>{points}</td>", walk, StringComparison.Ordinal);
        Assert.Contains("<td>0</td>\n            <td>0</td>", Row(events.Body, "data-event", "E-CLEANUP-1129"), StringComparison.Ordinal);
        Assert.Contains($"<td>1</td>\n            <td>2</td>\n            <td>{points}</td>", Row(events.Body, "data-source", "health"), StringComparison.Ordinal);
        Assert.Contains("ボランティア / Volunteer", Row(events.Body, "data-source", "volunteer"), StringComparison.Ordinal);

        Page participants = await welfare.GetAsync("/console/events/E-WALK-1130");
        Assert.Equal(200, participants.Status);
        string[] expected = [TestKit.Registry.SectorIdFor("P0006", SectorId.Welfare), TestKit.Registry.SectorIdFor("P0001", SectorId.Welfare)];
        Assert.Equal(expected, RowsOf(participants.Body, "data-sector-id"));
        AssertNoPidOrUid(participants.Body);
        Assert.DoesNotContain(TestKit.Registry.SectorIdFor("P0001", SectorId.Transport), participants.Body, StringComparison.Ordinal);
        Assert.Contains(await AuditLines(ingest), l => l.Contains("\"route\":\"/console/events/{eventId}\"", StringComparison.Ordinal) && l.Contains(expected[0], StringComparison.Ordinal));
        Assert.Equal(404, (await welfare.GetAsync("/console/events/E-NONE")).Status);
    }

    [Theory]
    [InlineData(RunningIngest.TransportName)]
    [InlineData(RunningIngest.Clinic1Name)]
    public async Task Transport_and_clinics_are_refused_the_event_screens(string name)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using ConsoleClient other = await SignedIn(ingest, name);
        Assert.Equal(403, (await other.GetAsync("/console/events")).Status);
        Assert.Equal(403, (await other.GetAsync("/console/events/E-WALK-1130")).Status);
        Assert.DoesNotContain("href=\"/console/events\"", (await other.GetAsync("/console/")).Body, StringComparison.Ordinal);
    }
}
