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

    private async Task<IPage> SignedInAsync(string scope)
    {
        IPage page = await browser.NewPageAsync();
        (string name, string password) = ConsoleSite.Operators[scope];
        await page.GotoAsync(_site.Url("/console/signin"));
        await page.FillAsync("input[name=name]", name);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("button:has-text('サインイン / Sign in')");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/");
        return page;
    }

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
        await page.ClickAsync($"nav a:has-text('{link}')");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path);
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        Assert.Contains(link.Split(" / ")[0], await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task An_events_participants_and_a_past_day_of_the_clinic_queue_have_no_serious_accessibility_violation()
    {
        IPage welfare = await SignedInAsync("welfare");
        await welfare.GotoAsync(_site.Url("/console/events"));
        await welfare.ClickAsync("tr[data-event='E-WALK-1130'] a");
        await welfare.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/events/E-WALK-1130");
        await Accessibility.AssertNoSeriousViolationsAsync(welfare);

        IPage clinic = await SignedInAsync("clinic:C01");
        await clinic.GotoAsync(_site.Url("/console/clinics/C01/queue?date=2026-11-30"));
        Assert.Equal("false", await clinic.GetAttributeAsync("#queue", "data-live"));
        await Accessibility.AssertNoSeriousViolationsAsync(clinic);
    }
}
