using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Microsoft.Playwright;
using MQTTnet;

namespace Maebashi.Edge.Web.Tests;

/// <summary>An operator signs in to the console in a real browser, sees the fleet and its buses on their route lines, signs out; wrong passwords lock the account.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Web")]
public sealed class ConsoleSignInTests(Browser browser) : IAsyncLifetime
{
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync(transit: true);

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    private async Task SignInAsync(IPage page, string name, string password)
    {
        await page.GotoAsync(_site.Url("/console/signin"));
        await page.FillAsync("input[name=name]", name);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("button:has-text('サインイン / Sign in')");
    }

    [Fact]
    [Trait("Category", "Gtfs")]
    public async Task An_operator_signs_in_sees_every_device_of_the_fleet_and_the_buses_on_their_route_lines_and_signs_out()
    {
        // A bus on R01 with 6 riders aboard, stopped at 県庁前; another on its way along R02.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await PublishAsync("BUS0042", Topics.Events("BUS0042"), BoardBatch(now.AddMinutes(-5), "04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C"));
        await PublishAsync("BUS0042", Topics.Status("BUS0042"), Status("BUS0042", now, "R01", "S03", VehicleStopStatuses.StoppedAt), retain: true);
        await PublishAsync("BUS0043", Topics.Status("BUS0043"), Status("BUS0043", now, "R02", "M02", VehicleStopStatuses.InTransitTo), retain: true);

        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(_site.Url("/console/"));
        // Not signed in: the console sends the browser to its sign-in page.
        Assert.Contains("/console/signin", page.Url, StringComparison.Ordinal);
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-signin");

        (string name, string password) = ConsoleSite.Operators["transport"];
        await SignInAsync(page, name, password);
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        Assert.Contains("車両・端末 / Fleet", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        string[] rows = [.. (await page.QuerySelectorAllAsync("tr[data-device]")).Select(r => r.GetAttributeAsync("data-device").GetAwaiter().GetResult()!)];
        Assert.Equal(ConsoleSite.Registry.Devices.Select(d => d.Id).Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));

        // Each route with a bus is drawn by the page (no map tiles, no script), its drawing named for assistive technology.
        ILocator r01 = page.Locator("section[data-route='R01']");
        Assert.Equal(7, await r01.Locator("svg[role='img'] g[data-stop]").CountAsync());
        Assert.Equal(1, await r01.Locator("svg g[data-vehicle='V0042']").CountAsync());
        string? title = await r01.Locator("svg[role='img']").GetAttributeAsync("aria-labelledby");
        Assert.StartsWith("路線 R01", await page.Locator("#" + title).TextContentAsync(), StringComparison.Ordinal);
        string bus = await r01.Locator("li[data-vehicle='V0042']").InnerTextAsync();
        Assert.Contains("県庁前に停車中 / Stopped at 県庁前", bus, StringComparison.Ordinal);
        Assert.Contains("混雑 やや混雑 / Occupancy: few seats (6/20人)", bus, StringComparison.Ordinal);
        Assert.Contains("市役所・県庁へ走行中 / In transit to 市役所・県庁", await page.Locator("section[data-route='R02'] li[data-vehicle='V0043']").InnerTextAsync(), StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-fleet");

        // Every cookie is out of the page's scripts' reach (HttpOnly); the session is never sent cross-site (SameSite=Strict).
        IReadOnlyList<BrowserContextCookiesResult> cookies = await page.Context.CookiesAsync();
        Assert.All(cookies, c => Assert.True(c.HttpOnly, $"{c.Name} is readable by scripts"));
        BrowserContextCookiesResult session = Assert.Single(cookies, c => c.Name == "maebashi-console");
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);

        await Task.WhenAll(
            page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/signin", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            page.ClickAsync("form[action='/console/signout'] button"));
        await page.GotoAsync(_site.Url("/console/"));
        Assert.Contains("/console/signin", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_passwords_are_refused_alike_and_lock_the_account_even_against_the_right_one()
    {
        IPage page = await browser.NewPageAsync(phone: true);
        (string name, string password) = ConsoleSite.Operators["welfare"];

        await SignInAsync(page, "no-such-operator", "whatever it is");
        Assert.Contains("名前またはパスワードが違います / Wrong name or password", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        for (int i = 0; i < 5; i++)
        {
            await SignInAsync(page, name, "not the password " + i);
        }

        // Locked now: the right password is refused too, with a message that says why.
        await SignInAsync(page, name, password);
        Assert.Contains("アカウントがロックされています / Account locked", await page.InnerTextAsync("body"), StringComparison.Ordinal);
        Assert.Contains("/console/signin", page.Url, StringComparison.Ordinal);

        // Another operator is not kept out by it.
        (string admin, string adminPassword) = ConsoleSite.Operators["admin"];
        IPage other = await browser.NewPageAsync();
        await SignInAsync(other, admin, adminPassword);
        await other.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
    }

    private static byte[] BoardBatch(DateTimeOffset at, params string[] uids) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["device"] = "BUS0042",
        ["events"] = new JsonArray([.. uids.Select((uid, i) => (JsonNode)new JsonObject
        {
            ["seq"] = i + 1,
            ["type"] = "board",
            ["at"] = at.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
            ["card"] = new JsonObject { ["tok"] = ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, uid), ["tech"] = "iso14443a" },
            ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = "V0042", ["stop"] = "S01" },
            ["decision"] = "accept",
        })]),
    }.ToJsonString());

    private static byte[] Status(string device, DateTimeOffset at, string route, string stop, string stopStatus) => ContractJson.Serialize(new DeviceStatus
    {
        Device = device,
        State = "online",
        At = at,
        Position = new VehiclePosition
        {
            Lat = TransitRegistry.Coordinates[stop].Lat,
            Lon = TransitRegistry.Coordinates[stop].Lon,
            At = at,
            Route = route,
            Direction = 0,
            Stop = stop,
            StopStatus = stopStatus,
        },
    });

    /// <summary>Publishes as the device (its MQTT password, and the mac on a batch); the ingest has it when the publish is acknowledged.</summary>
    private async Task PublishAsync(string device, string topic, byte[] payload, bool retain = false)
    {
        byte[] key = ConsoleSite.Registry.FindDevice(device)!.Key;
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _site.MqttPort)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(device + "-fleet-test")
            .WithCredentials(device, DeviceAuth.ComputeMqttPassword(key))
            .Build());
        MqttClientPublishResult published = await client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty(DeviceAuth.MacProperty, Encoding.ASCII.GetBytes(DeviceAuth.ComputeMac(key, payload)).AsMemory())
            .Build());
        Assert.True(published.IsSuccess, $"publish on {topic}: {published.ReasonCode}");
        await client.DisconnectAsync();
    }
}
