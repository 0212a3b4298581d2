using Maebashi.Edge.Cli.Gtfs;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>
/// When the import warns that a feed ends (<see cref="GtfsImport.ExpiryNotice"/>): counted in Japanese calendar days
/// on the clock given, from feed_info.txt or, without it, from the last end_date of calendar.txt.
/// </summary>
[Trait("Category", "Gtfs")]
public sealed class GtfsExpiryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"gtfs-expiry-{Guid.NewGuid():N}");

    public GtfsExpiryTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IReadOnlyList<string> WarningsAt(string utc, bool withoutFeedInfo = false)
    {
        string feed = Path.Combine(_dir, "feed");
        if (!Directory.Exists(feed))
        {
            Directory.CreateDirectory(feed);
            foreach (string file in Directory.EnumerateFiles(GtfsImportTests.SampleFeed, "*.txt"))
            {
                File.Copy(file, Path.Combine(feed, Path.GetFileName(file)));
            }

            // The sample ends on 2030-03-31 (feed_info.txt and calendar.txt); this copy's calendar ends a day earlier.
            string calendar = Path.Combine(feed, "calendar.txt");
            File.WriteAllText(calendar, File.ReadAllText(calendar).Replace(",20300331", ",20300330", StringComparison.Ordinal));
        }

        if (withoutFeedInfo)
        {
            File.Delete(Path.Combine(feed, "feed_info.txt"));
        }

        var time = new FakeTimeProvider(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture));
        GtfsImportResult result = new GtfsImport(time).Run(feed, SharedFixtures.RegistryPath, Path.Combine(_dir, "out.json"), []);
        Assert.Empty(result.Problems);
        return result.Warnings;
    }

    [Fact]
    public void No_warning_31_days_before_the_end()
    {
        Assert.Empty(WarningsAt("2030-02-28T14:59:00Z")); // 2030-02-28 23:59 JST: 31 days left
    }

    [Fact]
    public void Thirty_days_before_the_end_by_the_japanese_date_it_warns()
    {
        string warning = Assert.Single(WarningsAt("2030-02-28T15:00:00Z")); // 2030-03-01 00:00 JST
        Assert.Equal("運行データの有効期限まであと 30 日（2030-03-31 まで）/ the feed ends on 2030-03-31, in 30 days (feed_info.txt feed_end_date, line 2)", warning);
    }

    [Fact]
    public void On_its_last_day_it_still_runs_and_the_day_after_it_has_ended()
    {
        Assert.Contains("in 0 days", Assert.Single(WarningsAt("2030-03-31T12:00:00Z")), StringComparison.Ordinal);
        Assert.Equal("運行データの有効期限が切れています（2030-03-31 まで）/ the feed ended on 2030-03-31 (feed_info.txt feed_end_date, line 2)",
            Assert.Single(WarningsAt("2030-03-31T15:00:00Z")));
    }

    [Fact]
    public void Without_feed_info_the_calendar_says_when_it_ends()
    {
        string warning = Assert.Single(WarningsAt("2030-03-20T00:00:00Z", withoutFeedInfo: true));
        Assert.Equal("運行データの有効期限まであと 10 日（2030-03-30 まで）/ the feed ends on 2030-03-30, in 10 days (calendar.txt end_date, line 2)", warning);
    }
}
