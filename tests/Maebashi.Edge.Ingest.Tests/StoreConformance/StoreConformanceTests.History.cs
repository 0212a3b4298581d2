using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// History bounded by time (issue 13): the retention of raw taps, a person's entries read page by page.
public abstract partial class StoreConformanceTests
{
    [Fact]
    [Trait("Category", "History")]
    public async Task Taps_past_the_retention_are_purged_but_wallets_entries_and_each_persons_latest_day_stay()
    {
        // A year's retention; the store holds rides of November 2025 and of yesterday.
        DateTimeOffset LastYear(int day, int hour, int minute) => Nov(day, hour, minute).AddYears(-1);
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        kit.Send("BUS0042",
            TestKit.Board(1, AdultCard, LastYear(1, 8, 0), "S01"), TestKit.Alight(2, AdultCard, LastYear(1, 8, 20), "S05"),
            TestKit.Board(3, AdultCard, LastYear(2, 8, 0), "S01"), TestKit.Alight(4, AdultCard, LastYear(2, 8, 20), "S05"),
            TestKit.Board(5, ChildCard, LastYear(2, 9, 0), "S01"), TestKit.Alight(6, ChildCard, LastYear(2, 9, 20), "S05"),
            TestKit.Board(7, AdultCard, Nov(29, 8, 0), "S01"), TestKit.Alight(8, AdultCard, Nov(29, 8, 20), "S03"));
        string wallets = kit.Wallets();
        Dictionary<string, IReadOnlyList<WalletEntry>> entries = TestKit.Pids.ToDictionary(p => p, kit.Store.EntriesOf);

        long purged = TapRetention.Purge(kit.Store, kit.Time.GetUtcNow(), years: 1);

        Assert.Equal(4, purged);
        Assert.Equal(0, TapRetention.Purge(kit.Store, kit.Time.GetUtcNow(), years: 1));
        IReadOnlyList<TapRecord> adult = kit.Store.Write(w => w.TapsOfPerson("P0001", DateTimeOffset.MinValue));
        Assert.Equal([7UL, 8UL], adult.Select(t => t.Seq));
        // The child rode on one day only: that latest day stays, whatever its age.
        Assert.Equal([5UL, 6UL], kit.Store.Write(w => w.TapsOfPerson("P0002", DateTimeOffset.MinValue)).Select(t => t.Seq));
        Assert.Equal(wallets, kit.Wallets());
        Assert.All(entries, e => Assert.Equal(e.Value, kit.Store.EntriesOf(e.Key)));

        // The next rides of both persons resume from their checkpoints: a fare each, nothing re-rated.
        kit.Send("BUS0042",
            TestKit.Board(9, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(10, AdultCard, Nov(30, 8, 20), "S05"),
            TestKit.Board(11, ChildCard, Nov(30, 9, 0), "S01"), TestKit.Alight(12, ChildCard, Nov(30, 9, 20), "S05"));
        Assert.DoesNotContain(kit.Store.EntriesOf("P0001").Concat(kit.Store.EntriesOf("P0002")), e => e.Adjustment);
        Assert.Equal(entries["P0001"].Sum(e => e.Value) - FareS01ToS05, kit.Pipeline.WalletOf("P0001").Value);
        Assert.Equal(entries["P0002"].Sum(e => e.Value) - kit.Pipeline.WalletOf("P0002").Trips[^1].Charge, kit.Pipeline.WalletOf("P0002").Value);
    }

    [Fact]
    [Trait("Category", "History")]
    public async Task A_persons_entries_read_page_by_page_newest_first_are_all_their_entries_once_even_as_new_ones_arrive()
    {
        // More entries than the LiteDB store keeps with a person's state (128), so pages cross into its archive.
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(AdultCard))!;
        for (int i = 1; i <= 150; i++)
        {
            kit.Time.Advance(TimeSpan.FromSeconds(1));
            kit.Pipeline.ApplyValueChange(card, i, $"R-{i:D4}", ValueChangeKind.TopUp);
        }

        IReadOnlyList<WalletEntry> all = kit.Store.EntriesOf("P0001");
        var paged = new List<WalletEntry>();
        WalletEntryPage page = kit.Store.EntriesPage("P0001", null, 7);
        Assert.Equal(all.Count, page.Total);
        // A top-up after the first page was read: the next pages go on below it, none repeated or missed.
        kit.Pipeline.ApplyValueChange(card, 1000, "R-9999", ValueChangeKind.TopUp);
        while (true)
        {
            Assert.InRange(page.Items.Count, 1, 7);
            paged.AddRange(page.Items);
            if (page.Next is not { } next)
            {
                break;
            }

            page = kit.Store.EntriesPage("P0001", next, 7);
        }

        Assert.True(all.Count > 150, $"{all.Count} entries");
        Assert.Equal(all.Reverse(), paged);
        Assert.Equal(all.Count + 1, kit.Store.EntriesPage("P0001", null, 7).Total);
        Assert.Equal(1000, Assert.Single(kit.Store.EntriesPage("P0001", null, 1).Items).Value);
        WalletEntryPage none = kit.Store.EntriesPage("P0002", null, 7);
        Assert.Equal((0, (long?)null, 0L), (none.Items.Count, none.Next, none.Total));
    }
}
