using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>
/// Transport's card lookup in a real browser: a rider found by card token and by transport sector ID, each fare's
/// steps, and a refund from the counter's form that changes the wallet exactly once even when the form is sent twice.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Web")]
public sealed class CardLookupTests(Browser browser) : IAsyncLifetime
{
    private const string Uid = "DEADBEEF"; // P0002, a child: half fare; opening value 500
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync();

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    private Task<IPage> SignedInAsync(string scope) => _site.SignedInAsync(browser, scope);

    private static JsonObject Tap(int seq, string type, DateTimeOffset at, string stop) => DevicePublisher.BusTap(seq, type, Uid, at, stop);

    [Fact]
    public async Task Transport_finds_a_rider_by_sector_id_follows_the_fare_and_refunds_it_once()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await DevicePublisher.PublishAsync(_site.MqttPort, "BUS0042", Tap(1, "board", now.AddMinutes(-40), "S01"), Tap(2, "alight", now.AddMinutes(-20), "S07"));
        string token = ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, Uid);
        string sectorId = ConsoleSite.Registry.SectorIdFor("P0002", SectorId.Transport);

        IPage page = await SignedInAsync("transport");
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/cards", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("nav a:has-text('カード照会 / Card lookup')"));
        await page.FillAsync("#q", sectorId.ToLowerInvariant());
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).Query.Contains("q=", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("button:has-text('照会 / Look up')"));

        Assert.Equal(sectorId, await page.GetAttributeAsync("[data-sector-id]", "data-sector-id"));
        Assert.NotNull(await page.QuerySelectorAsync($"tr[data-token='{token}']"));
        Assert.Equal("330", await page.GetAttributeAsync("[data-value]", "data-value"));
        string steps = await page.InnerTextAsync("tr[data-charge='170'] ol.steps");
        Assert.Contains("大人運賃 / Adult fare 340円", steps, StringComparison.Ordinal);
        Assert.Contains("小児（半額） / Child (half fare) → 170円", steps, StringComparison.Ordinal);
        Assert.Contains("運賃 170円 / Fare ¥170", steps, StringComparison.Ordinal);
        string html = await page.ContentAsync();
        Assert.DoesNotContain("P0002", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Uid, html, StringComparison.OrdinalIgnoreCase);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-card-lookup");

        // The clerk fills the refund form and it is sent twice (a double click, a resend): applied once.
        await page.FillAsync("#adjust-amount", "170");
        await page.SelectOptionAsync("#adjust-reason", "device_fault");
        await page.FillAsync("#adjust-note", "運賃二重 / charged twice");
        int[] statuses = await page.EvaluateAsync<int[]>("""
            async () => {
                const form = document.querySelector("form[action$='/adjust']");
                const send = () => fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)) }).then(r => r.status);
                return [await send(), await send()];
            }
            """);
        Assert.Equal([200, 200], statuses);

        await page.ReloadAsync();
        Assert.Equal("500", await page.GetAttributeAsync("[data-value]", "data-value"));
        Assert.Single(await page.QuerySelectorAllAsync("tr[data-kind='operator-adjustment']"));

        // Through the form itself: a correction the page confirms.
        await page.FillAsync("#adjust-amount", "-20");
        await page.SelectOptionAsync("#adjust-reason", "fare_error");
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/cards/adjust", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("button:has-text('反映 / Apply')"));
        Assert.Contains("-20円を反映しました（残高 480円）", await page.InnerTextAsync("p.notice"), StringComparison.Ordinal);
        Assert.Equal("480", await page.GetAttributeAsync("[data-value]", "data-value"));
        await Accessibility.AssertNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task Transport_pages_back_through_a_riders_trips_a_service_day_at_a_time()
    {
        // Three rides a day on 20 days, 11 to 30 days ago: 60 trips, more than a page's 50.
        DateTimeOffset today = new(DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(9)).Date, TimeSpan.FromHours(9));
        int seq = 0;
        var taps = new List<JsonObject>();
        for (int back = 30; back >= 11; back--)
        {
            foreach (int hour in new[] { 7, 12, 18 })
            {
                DateTimeOffset at = today.AddDays(-back).AddHours(hour);
                taps.Add(Tap(++seq, "board", at, "S01"));
                taps.Add(Tap(++seq, "alight", at.AddMinutes(20), "S07"));
            }
        }

        await DevicePublisher.PublishAsync(_site.MqttPort, "BUS0042", [.. taps]);
        IPage page = await SignedInAsync("transport");
        await page.GotoAsync(_site.Url("/console/cards?q=" + ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, Uid)));

        // The newest 17 days whole (51 trips), newest first, and a link to the older ones.
        IReadOnlyList<string> days = await page.Locator("table.trips tbody tr td:first-child").AllInnerTextsAsync();
        Assert.Equal(51, days.Count);
        Assert.Equal(ServiceDay(today.AddDays(-11)), days[0]);
        Assert.Equal(ServiceDay(today.AddDays(-27)), days[^1]);
        Assert.Null(await page.QuerySelectorAsync("a:has-text('最新の乗車へ / Newest trips')"));
        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).Query.Contains("tripsBefore=", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("a:has-text('以前の乗車 / Older trips')"));

        days = await page.Locator("table.trips tbody tr td:first-child").AllInnerTextsAsync();
        Assert.Equal([.. Enumerable.Range(28, 3).SelectMany(back => Enumerable.Repeat(ServiceDay(today.AddDays(-back)), 3))], days);
        Assert.Null(await page.QuerySelectorAsync("a:has-text('以前の乗車 / Older trips')"));
        Assert.NotNull(await page.QuerySelectorAsync("a:has-text('最新の乗車へ / Newest trips')"));
        await Accessibility.AssertNoSeriousViolationsAsync(page);

        IResponse? bad = await page.GotoAsync(_site.Url("/console/cards?q=x&tripsBefore=yesterday"));
        Assert.Equal(400, bad!.Status);
        Assert.Contains("tripsBefore", await page.InnerTextAsync("body"), StringComparison.Ordinal);
    }

    private static string ServiceDay(DateTimeOffset jstDay) => jstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Welfare_and_clinic_may_not_open_the_card_lookup()
    {
        foreach (string scope in new[] { "welfare", "clinic:C01" })
        {
            IPage page = await SignedInAsync(scope);
            Assert.Null(await page.QuerySelectorAsync("nav a:has-text('カード照会 / Card lookup')"));
            IResponse? response = await page.GotoAsync(_site.Url("/console/cards?q=" + ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, Uid)));
            Assert.Equal(403, response!.Status);
            Assert.DoesNotContain("data-value", await page.ContentAsync(), StringComparison.Ordinal);
        }
    }
}
