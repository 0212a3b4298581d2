using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>
/// Transport's day figures in a real browser: revenue and ridership per route, boardings per stop, origin–destination
/// pairs, the trips without a tap-off; and the CSV export's contents (UTF-8 with a BOM, riders by transport sector ID).
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Web")]
public sealed class TransportReportTests(Browser browser) : IAsyncLifetime
{
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync();

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    private static JsonObject Tap(int seq, string type, string uid, DateTimeOffset at, string stop) => DevicePublisher.BusTap(seq, type, uid, at, stop);

    [Fact]
    public async Task A_days_routes_stops_pairs_and_missing_tap_offs_show_and_export_as_csv()
    {
        // Taps an hour ago, all within one service day (03:00–03:00 JST).
        DateTimeOffset t0 = DateTimeOffset.UtcNow.AddMinutes(-70);
        await DevicePublisher.PublishAsync(_site.MqttPort, "BUS0042",
            Tap(1, "board", "DEADBEEF", t0, "S01"), Tap(2, "alight", "DEADBEEF", t0.AddMinutes(20), "S07"),             // child: 340 → 170
            Tap(3, "board", "04A1B2C3D4E5F6", t0.AddMinutes(1), "S01"), Tap(4, "alight", "04A1B2C3D4E5F6", t0.AddMinutes(21), "S07"), // adult 340
            Tap(5, "board", "0F0E0D0C", t0.AddMinutes(2), "S02"), Tap(6, "board", "0F0E0D0C", t0.AddMinutes(40), "S03"));            // the re-boarding closes the first without a tap-off
        DateTimeOffset jst = t0.ToOffset(TimeSpan.FromHours(9)).AddHours(-3);
        string day = jst.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        IPage page = await _site.SignedInAsync(browser, "transport");
        await page.GotoAsync(_site.Url("/console/transport?day=" + day));

        string route = await page.InnerTextAsync("tr[data-route='R01']");
        Assert.Equal(["R01", "3", "3"], route.Split('\t').Take(3).Select(c => c.Trim()));
        Assert.Equal("1", await page.GetAttributeAsync("[data-missing]", "data-missing"));
        Assert.Contains("\t2\t", await page.InnerTextAsync("tr[data-stop='R01/S01']"), StringComparison.Ordinal);
        Assert.Contains("\t2\t", await page.InnerTextAsync("tr[data-od='R01/S01/S07']"), StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-transport");

        await page.SelectOptionAsync("#report", "trips");
        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("button:has-text('ダウンロード / Download')"));
        byte[] csv = await File.ReadAllBytesAsync((await download.PathAsync())!);

        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]);
        string[] lines = Encoding.UTF8.GetString(csv[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("営業日 / Service day,交通ID / Transport sector ID,", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length); // the header and the three closed trips: the open one has no fare yet
        string child = ConsoleSite.Registry.SectorIdFor("P0002", SectorId.Transport);
        Assert.Contains(lines, l => l.StartsWith(day + "," + child + ",R01,V0042,S01,", StringComparison.Ordinal) && l.EndsWith(",Alighted,child,340,170,0,0,170", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(",MissingTapOff,", StringComparison.Ordinal));
        string text = Encoding.UTF8.GetString(csv);
        foreach (string uid in new[] { "DEADBEEF", "04A1B2C3D4E5F6", "0F0E0D0C" })
        {
            Assert.DoesNotContain(ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, uid), text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("P000", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clinic_and_welfare_may_not_read_the_figures_or_export_them()
    {
        foreach (string scope in new[] { "welfare", "clinic:C01" })
        {
            IPage page = await _site.SignedInAsync(browser, scope);
            Assert.Equal(403, (await page.GotoAsync(_site.Url("/console/transport")))!.Status);
            Assert.Equal(403, (await page.APIRequest.GetAsync(_site.Url("/console/transport/export?report=trips&from=2026-12-01&to=2026-12-01"))).Status);
        }
    }
}
