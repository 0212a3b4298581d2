using System.Globalization;
using System.Text.RegularExpressions;
using Maebashi.Edge.Contract.Messages;
using Microsoft.Extensions.Time.Testing;
using static Maebashi.Edge.Ingest.Tests.GtfsRealtimeFeedTests;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The console's fleet page draws each route with a bus on it as a line of its stops, the buses on it (issue 16).</summary>
[Trait("Category", "Gtfs")]
public sealed class FleetRouteLinesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T09:00:00+09:00", CultureInfo.InvariantCulture);

    private static string Section(string body, string route)
    {
        int start = body.IndexOf($"<section class=\"route\" data-route=\"{route}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no line drawn for {route}");
        return body[start..body.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    /// <summary>The x at which the drawing puts a stop, or a bus.</summary>
    private static int X(string section, string attribute, string id)
    {
        Match m = Regex.Match(section, $"<g[^>]*data-{attribute}=\"{id}\"[^>]*>\\s*<(?:circle|line) [^>]*(?:cx|x1)=\"(\\d+)\"");
        Assert.True(m.Success, $"{attribute} {id} is not drawn");
        return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Each_bus_is_drawn_at_its_stop_on_its_routes_line_with_its_occupancy_in_words_beside()
    {
        FakeTimeProvider time = new(Now);
        await using RunningIngest ingest = await StartAsync(time);
        await BoardAsync(ingest, 1, riders: 6, Now.AddMinutes(-6));
        await PublishPositionAsync(ingest, "BUS0042", At("S03", Now.AddSeconds(-4)));
        await PublishPositionAsync(ingest, "BUS0043", At("M02", Now.AddSeconds(-6), VehicleStopStatuses.InTransitTo, route: "R02"));

        using var browser = new ConsoleClient(ingest);
        await browser.SignInAsync(RunningIngest.TransportName, RunningIngest.ConsolePassword);
        ConsoleClient.Page fleet = await browser.GetAsync("/console/");
        Assert.Equal(200, fleet.Status);

        string r01 = Section(fleet.Body, "R01");
        // The stops in the order of the direction-0 pattern, left to right.
        int[] stops = [.. new[] { "S01", "S02", "S03", "S04", "S05", "S06", "S07" }.Select(s => X(r01, "stop", s))];
        Assert.Equal(stops.Order(), stops);
        Assert.Equal(X(r01, "stop", "S03"), X(r01, "vehicle", "V0042"));
        Assert.Contains("role=\"img\"", r01, StringComparison.Ordinal);
        Assert.Matches("<title id=\"route-0-title\">路線 R01 [^<]*: 停留所 7か所、バス 1台 / Route R01: 7 stops; buses: 1\\. 42号車 \\(V0042\\): 県庁前に停車中", r01);
        Assert.Contains("<strong>42号車 (V0042)</strong>: 県庁前に停車中 / Stopped at 県庁前 — 群大病院行き / Bound for 群大病院 — ", r01, StringComparison.Ordinal);
        Assert.Contains("混雑 やや混雑 / Occupancy: few seats (6/20人)", r01, StringComparison.Ordinal);
        Assert.DoesNotContain("V0043", r01, StringComparison.Ordinal);

        // On its way to M02: halfway from the stop before; no capacity in the registry, so a count, not a level.
        string r02 = Section(fleet.Body, "R02");
        Assert.Equal((X(r02, "stop", "M01") + X(r02, "stop", "M02")) / 2, X(r02, "vehicle", "V0043"));
        Assert.Contains("市役所・県庁へ走行中 / In transit to 市役所・県庁", r02, StringComparison.Ordinal);
        Assert.Contains("乗車 0人 / 0 aboard", r02, StringComparison.Ordinal);

        // Two minutes later no position is fresh: no line is drawn, and the page says why.
        time.Advance(TimeSpan.FromMinutes(2));
        ConsoleClient.Page later = await browser.GetAsync("/console/");
        Assert.DoesNotContain("<section class=\"route\"", later.Body, StringComparison.Ordinal);
        Assert.Contains("走行中のバスはありません / No bus is on the road.", later.Body, StringComparison.Ordinal);
    }
}
