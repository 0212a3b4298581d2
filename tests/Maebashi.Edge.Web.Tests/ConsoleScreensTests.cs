using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>Each scope's read-only screens in a real browser: reached from the nav, Japanese first, and axe-clean.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Web")]
public sealed class ConsoleScreensTests(Browser browser) : IAsyncLifetime
{
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync();

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    private Task<IPage> SignedInAsync(string scope) => _site.SignedInAsync(browser, scope);

    [Theory]
    [InlineData("admin", "拒否リスト / Deny list", "/console/denylist")]
    [InlineData("admin", "監査ログ / Audit log", "/console/audit")]
    [InlineData("admin", "隔離 / Quarantine", "/console/quarantine")]
    [InlineData("admin", "イベント / Events", "/console/events")]
    [InlineData("welfare", "イベント / Events", "/console/events")]
    [InlineData("clinic:C01", "受付 / Reception", "/console/clinics/C01/queue")]
    public async Task Each_screen_is_reached_from_the_nav_and_has_no_serious_accessibility_violation(string scope, string link, string path)
    {
        IPage page = await SignedInAsync(scope);
        // Waiting for the navigation from before the click, and for the document rather than every resource: the live
        // queue's page keeps polling, and a wait registered after a fast navigation must not depend on the load event.
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path, new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync($"nav a:has-text('{link}')"));
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains(link.Split(" / ")[0], await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        if (scope == "admin")
        {
            await Screens.SaveAsync(page, "console-" + path.Split('/')[2]);
        }
    }

    [Fact]
    public async Task An_events_participants_and_a_past_day_of_the_clinic_queue_have_no_serious_accessibility_violation()
    {
        IPage welfare = await SignedInAsync("welfare");
        await welfare.GotoAsync(_site.Url("/console/events"));
        await Task.WhenAll(
            welfare.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/events/E-WALK-1130", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            welfare.ClickAsync("tr[data-event='E-WALK-1130'] a"));
        await Accessibility.AssertNoSeriousViolationsAsync(welfare);

        IPage clinic = await SignedInAsync("clinic:C01");
        await clinic.GotoAsync(_site.Url("/console/clinics/C01/queue?date=2026-11-30"));
        Assert.Equal("false", await clinic.GetAttributeAsync("#queue", "data-live"));
        await Accessibility.AssertNoSeriousViolationsAsync(clinic);
    }

    [Fact]
    public async Task A_new_check_in_appears_in_the_open_reception_queue_within_2_seconds_without_a_reload()
    {
        IPage page = await SignedInAsync("clinic:C01");
        await page.GotoAsync(_site.Url("/console/clinics/C01/queue"));
        Assert.Equal("true", await page.GetAttributeAsync("#queue", "data-live"));
        Assert.Empty(await page.QuerySelectorAllAsync("tr[data-queue]"));
        await page.EvaluateAsync("() => { window.stillTheSamePage = true; }");

        await PublishCheckInAsync("CLN01", "04BADA55C0FFEE", "C01", queue: 7);
        await page.WaitForSelectorAsync("tr[data-queue='7']", new() { Timeout = 2000 });

        Assert.True(await page.EvaluateAsync<bool>("() => window.stillTheSamePage === true"));
        string row = await page.InnerTextAsync("tr[data-queue='7']");
        Assert.Contains(ConsoleSite.Registry.SectorIdFor("P0007", SectorId.Clinic("C01")), row, StringComparison.Ordinal);
        Assert.Contains("対象 / Eligible", row, StringComparison.Ordinal);
        Assert.Contains("1件 / 1 check-ins", await page.InnerTextAsync("#queue-status"), StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-clinic-queue");
    }

    /// <summary>A clinic terminal's batch of one check-in now.</summary>
    private Task PublishCheckInAsync(string device, string uid, string clinic, int queue) =>
        DevicePublisher.PublishAsync(_site.MqttPort, device, new JsonObject
        {
            ["seq"] = 1,
            ["type"] = "clinic_checkin",
            ["at"] = DateTimeOffset.Now.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            ["card"] = new JsonObject { ["tok"] = ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, uid), ["tech"] = "iso14443a" },
            ["ctx"] = new JsonObject { ["clinic"] = clinic, ["queue"] = queue },
            ["decision"] = "accept",
        });
}
