using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Maebashi.Edge.Web.Tests;

/// <summary>The axe check every page passes: no serious or critical violation.</summary>
internal static class Accessibility
{
    public static async Task AssertNoSeriousViolationsAsync(IPage page)
    {
        AxeResult result = await page.RunAxe();
        string[] serious = [.. result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Impact} {v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target)))})")];
        Assert.True(serious.Length == 0, $"axe on {page.Url}:\n{string.Join('\n', serious)}");
    }
}
