using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>
/// Screenshots of the main screens, for docs/screens/: written to the test output's <c>screens/</c> folder on every run
/// (the screens as this build draws them), and copied into the repository by hand when they change.
/// </summary>
internal static class Screens
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "screens");

    public static async Task SaveAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), FullPage = true });
    }
}
