using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>
/// Debian's chromium, headless, driven by Playwright for the whole test collection. The browser comes from the
/// system package (./test installs it); Playwright's own browser download is never used.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    /// <summary>Where Debian's package puts the browser.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Chromium { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is not installed: ./test installs the Debian package chromium (apt-get install chromium fonts-ipafont-gothic)");
        }

        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Chromium's sandbox needs user namespaces, which containers and root sessions often lack.
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>A fresh context (its own cookies) and page, phone-sized when asked, with Japanese as the browser's language.</summary>
    public async Task<IPage> NewPageAsync(bool phone = false)
    {
        IBrowserContext context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = "ja-JP",
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
        });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "browser";
}
