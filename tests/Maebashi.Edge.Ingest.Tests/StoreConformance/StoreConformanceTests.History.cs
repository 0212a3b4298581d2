using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// History bounded by time (issue 13): the retention of raw taps, a person's entries and trips read page by page.
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
        string trips = System.Text.Json.JsonSerializer.Serialize(kit.Store.AllTrips("P0001"));
        string lastYearsDay = LastYear(1, 8, 0).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Single(kit.Store.TripsOn(lastYearsDay));

        long purged = TapRetention.Purge(kit.Store, kit.Time.GetUtcNow(), years: 1);

        // The trips of the purged days stay: the person's history and the day's transport report.
        Assert.Equal(trips, System.Text.Json.JsonSerializer.Serialize(kit.Store.AllTrips("P0001")));
        Assert.Equal("P0001", Assert.Single(kit.Store.TripsOn(lastYearsDay)).Pid);

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
        Assert.Equal(entries["P0002"].Sum(e => e.Value) - kit.Store.AllTrips("P0002")[^1].Charge, kit.Pipeline.WalletOf("P0002").Value);
    }

    [Fact]
    [Trait("Category", "History")]
    public async Task A_persons_top_ups_are_read_from_the_day_an_evaluation_replays_and_a_late_ride_still_counts_every_one()
    {
        PipelineKit kit = await OpenAsync(Nov(1, 10, 0));
        CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(AdultCard))!;
        kit.Pipeline.ApplyValueChange(card, 1000, "R-0001", ValueChangeKind.TopUp);
        kit.Time.SetUtcNow(Nov(10, 10, 0));
        kit.Pipeline.ApplyValueChange(card, 2000, "R-0002", ValueChangeKind.TopUp);
        kit.Time.SetUtcNow(Nov(12, 9, 0));
        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(12, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(12, 8, 20), "S05"));
        kit.Time.SetUtcNow(Nov(20, 10, 0));
        kit.Pipeline.ApplyValueChange(card, 300, "R-0003", ValueChangeKind.Adjustment, reason: "fare-error");
        kit.Time.SetUtcNow(Nov(20, 12, 0));
        kit.Send("BUS0042", TestKit.Board(3, AdultCard, Nov(20, 11, 0), "S01"), TestKit.Alight(4, AdultCard, Nov(20, 11, 20), "S05"));
        Assert.Equal(2, kit.Store.AllTrips("P0001").Count);

        // From a day's start on: the changes of that day and after, in time order; earlier ones are not read.
        void AssertRanges(PipelineKit k)
        {
            long[] From(int day) => [.. k.Store.Write(w => w.ValueChangesOf("P0001", WalletRules.DayStart(new DateOnly(2026, 11, day)))).Select(c => c.Amount)];
            Assert.Equal([1000, 2000, 300], k.Store.Write(w => w.ValueChangesOf("P0001", DateTimeOffset.MinValue)).Select(c => c.Amount));
            Assert.Equal([2000, 300], From(10));
            Assert.Equal([300], From(11));
            Assert.Empty(From(21));
            Assert.Empty(k.Store.Write(w => w.ValueChangesOf("P0002", DateTimeOffset.MinValue)));
        }

        AssertRanges(kit);
        kit = Reopen(kit);
        AssertRanges(kit);

        // A ride of Nov 5 arrives late: replayed from that day's checkpoint, with the top-ups of Nov 10 and 20 after it.
        kit.Send("BUS0042", TestKit.Board(5, AdultCard, Nov(5, 8, 0), "S01"), TestKit.Alight(6, AdultCard, Nov(5, 8, 20), "S05"));
        Assert.Equal(1000 + 1000 + 2000 + 300 - (3 * FareS01ToS05), kit.Pipeline.WalletOf("P0001").Value);
        Assert.Equal(3, kit.Store.AllTrips("P0001").Count);
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

    [Fact]
    [Trait("Category", "History")]
    public async Task A_persons_trips_read_page_by_page_are_whole_service_days_newest_first_and_a_late_ride_lands_in_its_day()
    {
        // Rides on Nov 1 (three), Nov 2 (one) and Nov 4 (two); a ride at 01:30 on Nov 3 belongs to Nov 2's service day.
        PipelineKit kit = await OpenAsync(Nov(5, 9, 0));
        ulong seq = 0;
        JsonObject[] Ride(DateTimeOffset at) => [TestKit.Board(++seq, AdultCard, at, "S01"), TestKit.Alight(++seq, AdultCard, at.AddMinutes(20), "S05")];
        kit.Send("BUS0042", [.. Ride(Nov(1, 7, 0)), .. Ride(Nov(1, 12, 0)), .. Ride(Nov(1, 18, 0)), .. Ride(Nov(2, 8, 0)), .. Ride(Nov(4, 8, 0)), .. Ride(Nov(4, 18, 0))]);

        TripPage first = kit.Store.TripsPage("P0001", null, 3);
        Assert.Equal([Nov(4, 18, 0), Nov(4, 8, 0), Nov(2, 8, 0)], first.Items.Select(t => t.BoardAt!.Value));
        Assert.Equal(new DateOnly(2026, 11, 2), first.Next);

        // A page never splits a day: Nov 1's three rides come whole, though the page asked for one.
        TripPage second = kit.Store.TripsPage("P0001", first.Next, 1);
        Assert.Equal([Nov(1, 18, 0), Nov(1, 12, 0), Nov(1, 7, 0)], second.Items.Select(t => t.BoardAt!.Value));
        Assert.Null(second.Next);
        Assert.Empty(kit.Store.TripsPage("P0001", new DateOnly(2026, 11, 1), 5).Items);
        Assert.Empty(kit.Store.TripsPage("P0002", null, 5).Items);

        // A late ride after midnight joins Nov 2's service day on its page; the days around it are unchanged.
        kit.Send("BUS0042", Ride(Nov(3, 1, 30)));
        TripPage again = kit.Store.TripsPage("P0001", new DateOnly(2026, 11, 4), 1);
        Assert.Equal([Nov(3, 1, 30), Nov(2, 8, 0)], again.Items.Select(t => t.BoardAt!.Value));
        Assert.All(again.Items, t => Assert.Equal("2026-11-02", t.ServiceDay));
        Assert.Equal(7, kit.Store.AllTrips("P0001").Count);
        Assert.Equal([.. kit.Store.AllTrips("P0001").Where(t => t.ServiceDay == "2026-11-02")], kit.Store.TripsOn("2026-11-02").Where(x => x.Pid == "P0001").Select(x => x.Trip));
    }

    [Fact]
    [Trait("Category", "History")]
    public async Task Within_a_unit_a_person_written_twice_reads_its_own_first_write_and_keeps_the_second()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(29, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(29, 8, 20), "S05"));
        IReadOnlyList<Trip> before = kit.Store.AllTrips("P0001");
        Trip nov29 = Assert.Single(before);
        var nov30 = new DateOnly(2026, 11, 30);
        Trip ride = nov29 with { BoardAt = Nov(30, 8, 0), AlightAt = Nov(30, 8, 20), ServiceDay = "2026-11-30" };
        var fare = new Posting("fare:test", PostingKinds.Fare, -100, 0, "bus", Nov(30, 8, 0), "test");

        PersonState written = kit.Store.Write(w =>
        {
            w.LockAhead(["BUS0042"], ["P0001"]);
            PersonState s = w.GetPersonForUpdate("P0001")!;
            Assert.NotNull(w.CheckpointFor("P0001", nov30));

            // Two writes of the same person back to back, then a read, then a third replacing Nov 30 with one ride.
            w.PutPerson(s with { Value = s.Value - 100, Revision = s.Revision + 1 }, new SettledDays([ride], [fare]), [], [], [], WalletRules.DayStart(nov30));
            w.PutPerson(s with { Value = s.Value - 200, Revision = s.Revision + 2 }, new SettledDays([ride, ride with { BoardAt = Nov(30, 18, 0) }], [fare, fare with { Key = "fare:test2" }]), [], [], [], WalletRules.DayStart(nov30));
            Assert.Equal(2, w.SettledFrom("P0001", nov30).Trips.Count);
            Assert.Equal(2, w.SettledFrom("P0001", nov30).Postings.Count);
            Assert.Equal(s.Value - 200, w.GetPersonForUpdate("P0001")!.Value);
            PersonState last = s with { Value = s.Value - 100, Revision = s.Revision + 3 };
            w.PutPerson(last, new SettledDays([ride], [fare]), [], [], [], WalletRules.DayStart(nov30));
            return last;
        });

        Assert.Equal([ride, nov29], kit.Store.TripsPage("P0001", null, 10).Items);
        Assert.Equal(written, kit.Store.GetPerson("P0001"));
        Assert.Equal([fare], kit.Store.Write(w => w.SettledFrom("P0001", nov30)).Postings);
    }
}
