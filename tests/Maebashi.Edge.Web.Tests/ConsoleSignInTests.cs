using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>An operator signs in to the console in a real browser, sees the fleet, signs out; wrong passwords lock the account.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Web")]
public sealed class ConsoleSignInTests(Browser browser) : IAsyncLifetime
{
    private ConsoleSite _site = null!;

    public async Task InitializeAsync() => _site = await ConsoleSite.StartAsync();

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
    public async Task An_operator_signs_in_sees_every_device_of_the_fleet_and_signs_out()
    {
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(_site.Url("/console/"));
        // Not signed in: the console sends the browser to its sign-in page.
        Assert.Contains("/console/signin", page.Url, StringComparison.Ordinal);
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang"));
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-signin");

        (string name, string password) = ConsoleSite.Operators["transport"];
        await SignInAsync(page, name, password);
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/");
        Assert.Contains("車両・端末 / Fleet", await page.InnerTextAsync("h1"), StringComparison.Ordinal);
        string[] rows = [.. (await page.QuerySelectorAllAsync("tr[data-device]")).Select(r => r.GetAttributeAsync("data-device").GetAwaiter().GetResult()!)];
        Assert.Equal(ConsoleSite.Registry.Devices.Select(d => d.Id).Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));
        await Accessibility.AssertNoSeriousViolationsAsync(page);
        await Screens.SaveAsync(page, "console-fleet");

        // Every cookie is out of the page's scripts' reach (HttpOnly); the session is never sent cross-site (SameSite=Strict).
        IReadOnlyList<BrowserContextCookiesResult> cookies = await page.Context.CookiesAsync();
        Assert.All(cookies, c => Assert.True(c.HttpOnly, $"{c.Name} is readable by scripts"));
        BrowserContextCookiesResult session = Assert.Single(cookies, c => c.Name == "maebashi-console");
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);

        await page.ClickAsync("form[action='/console/signout'] button");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/signin");
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
        await other.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/");
    }
}
