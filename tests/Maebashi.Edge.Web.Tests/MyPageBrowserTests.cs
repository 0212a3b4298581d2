using Maebashi.Edge.Contract.Identity;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>
/// A citizen's first visit to My Page in a real browser, on a phone: an admin issues the enrollment code from the console,
/// the citizen enrolls with it, sees their page with the city's notices (urgent first), and reports their card lost.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Web")]
public sealed class MyPageBrowserTests(Browser browser) : IAsyncLifetime
{
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync();

    public Task DisposeAsync()
    {
        _site.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Enrollment_from_the_console_code_to_My_Page_and_report_lost_puts_the_card_on_the_deny_list()
    {
        // The sample registry's first card, as the console knows it: by its token.
        string token = ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, "04A1B2C3D4E5F6");

        IPage console = await _site.SignedInAsync(browser, "admin");
        await console.GotoAsync(_site.Url("/console/enrollment"));
        await Accessibility.AssertNoSeriousViolationsAsync(console);
        await console.FillAsync("input[name=token]", token);
        await console.ClickAsync("button:has-text('コードを発行 / Issue code')");
        string code = (await console.GetAttributeAsync("[data-code]", "data-code"))!;
        Assert.Matches("^[0-9A-Z]{5}-[0-9A-Z]{5}$", code);

        // The city's notices: an ordinary one, then an emergency, which My Page puts first.
        await Task.WhenAll(
            console.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/notices", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            console.ClickAsync("nav a:has-text('お知らせ / Notices')"));
        foreach ((string kind, string title, string text) in new[]
        {
            ("normal", "12月のバス時刻改正 / December timetable change", "12月15日から一部の便の時刻が変わります。"),
            ("urgent", "大雪のため一部運休 / Heavy snow: some buses suspended", "本日は市内循環バスを運休します。"),
        })
        {
            await console.SelectOptionAsync("#kind", kind);
            await console.FillAsync("#title", title);
            await console.FillAsync("#body", text);
            await Task.WhenAll(
                console.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/notices", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
                console.ClickAsync("button:has-text('掲載 / Post')"));
            Assert.Contains("を掲載しました", await console.InnerTextAsync("p.notice"), StringComparison.Ordinal);
        }

        Assert.Equal(2, await console.Locator("tr[data-notice]").CountAsync());
        await Accessibility.AssertNoSeriousViolationsAsync(console);

        // The citizen, on their phone: a session of their own.
        IPage phone = await browser.NewPageAsync(phone: true);
        await phone.GotoAsync(_site.Url("/my/enroll"));
        Assert.Equal("ja", await phone.GetAttributeAsync("html", "lang"));
        await Accessibility.AssertNoSeriousViolationsAsync(phone);
        await Screens.SaveAsync(phone, "my-enroll");
        await phone.FillAsync("input[name=code]", code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal));
        await phone.FillAsync("input[name=login]", "maebashi-taro");
        await phone.FillAsync("input[name=password]", "my own long password");
        await Task.WhenAll(
            phone.WaitForURLAsync(url => new Uri(url).AbsolutePath.TrimEnd('/') == "/my", new() { WaitUntil = WaitUntilState.DOMContentLoaded }),
            phone.ClickAsync("button:has-text('登録 / Enroll')"));
        Assert.Contains("マイページ / My Page", await phone.InnerTextAsync("h1"), StringComparison.Ordinal);
        await Accessibility.AssertNoSeriousViolationsAsync(phone);
        await Screens.SaveAsync(phone, "my-page");

        IReadOnlyList<string> notices = await phone.Locator("article.city-notice h3").AllInnerTextsAsync();
        Assert.Equal(["【緊急 / Urgent】 大雪のため一部運休 / Heavy snow: some buses suspended", "12月のバス時刻改正 / December timetable change"], notices);

        // Nothing on the page gives the raw UID or the person's ID.
        string body = await phone.InnerTextAsync("body");
        Assert.DoesNotContain("04A1B2C3D4E5F6", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("P0001", body, StringComparison.Ordinal);

        await phone.ClickAsync($"li[data-card='{token}'] button:has-text('紛失届 / Report lost')");
        await phone.WaitForSelectorAsync($"li[data-card='{token}'] :text('利用停止中（紛失） / Blocked (lost)')");
        Assert.Matches(@"拒否リスト 第\d+版", await phone.InnerTextAsync("body"));
        Assert.Equal(0, await phone.Locator($"li[data-card='{token}'] button").CountAsync());
    }
}
