using System.Text.Json;
using System.Text.Json.Nodes;
using LiteDB;
using JsonSerializer = System.Text.Json.JsonSerializer;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// Issue 13, the LiteDB store's layout bounded by time: taps kept by person and service day, de-duplication by device
/// blocks, a bounded working set in memory; a store of the earlier layout moved on open.
/// </summary>
[Trait("Category", "History")]
public sealed class DayLayoutTests
{
    private const string Uid = "04A1B2C3D4E5F6";
    private const string Pid = "P0001";

    private static DateTimeOffset Day(int day, int h, int m) => new DateTimeOffset(2026, 11, 1, h, m, 0, TestKit.Jst).AddDays(day - 1);

    /// <summary>
    /// Turns a store of the day layout into the layout before it: every tap in <c>units</c> documents (the same JSON
    /// arrays), no day documents and no de-duplication blocks.
    /// </summary>
    private static void ToUnitsLayout(string dir)
    {
        using var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db"));
        LiteDatabase db = files.Db;
        long id = 1;
        ILiteCollection<BsonDocument> units = db.GetCollection("units");
        foreach (BsonDocument d in db.GetCollection("daytaps").FindAll().ToList())
        {
            units.Insert(new BsonDocument { ["_id"] = id++, ["b"] = d["b"] });
        }

        Assert.True(db.DropCollection("daytaps"));
        Assert.True(db.DropCollection("seqblocks"));
    }

    [Fact]
    public void A_store_of_the_units_layout_moves_its_taps_into_days_on_open_and_keeps_wallets_duplicates_boards_and_late_taps()
    {
        string dir = TestKit.TempDir();
        string wallets;
        ulong seq = 0;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir))
        {
            for (int d = 1; d <= 4; d++)
            {
                kit.Time.SetUtcNow(Day(d, 9, 0));
                kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(d, 8, 0), "S01"), TestKit.Alight(++seq, Uid, Day(d, 8, 20), "S05"));
            }

            kit.Time.SetUtcNow(Day(5, 10, 10));
            kit.Send("BUS0043", TestKit.Board(1, "DEADBEEF", Day(5, 10, 0), "S01", "R01", "V0043"));
            wallets = kit.Wallets();
        }

        ToUnitsLayout(dir);

        using (var again = new PipelineKit(new FakeTimeProvider(Day(5, 10, 45)), dir))
        {
            Assert.Equal(wallets, again.Wallets());

            // Every tap moved: a resent one of day 1 is a duplicate; the vehicle's trip_end finds the board made before the restart.
            Ack resent = again.Send("BUS0042", TestKit.Board(1, Uid, Day(1, 8, 0), "S01"));
            Assert.Equal(ResultStatus.Duplicate, Assert.Single(resent.Results).Status);
            Assert.Equal(TripClose.Open, Assert.Single(again.Pipeline.WalletOf("P0002").Trips).Close);
            again.Send("BUS0043", new JsonObject
            {
                ["seq"] = 2UL, ["type"] = EventTypes.TripEnd, ["at"] = TestKit.At(Day(5, 10, 40)), ["ctx"] = new JsonObject { ["vehicle"] = "V0043" },
            });
            Assert.Equal(TripClose.MissingTapOff, Assert.Single(again.Pipeline.WalletOf("P0002").Trips).Close);

            // A late trip of day 3 is rated from the moved taps, as the full replay rates it.
            again.Send("BUS0042", TestKit.Board(++seq, Uid, Day(3, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(3, 18, 20), "S03"));
            IReadOnlyList<TapRecord> all = again.Store.Write(w => w.TapsOfPerson(Pid, DateTimeOffset.MinValue));
            Assert.Equal(10, all.Count);
            WalletView oracle = WalletRules.Evaluate(
                TestKit.Registry,
                new PersonHistory { Person = TestKit.Registry.FindPerson(Pid)!, Taps = [.. all.Select(t => t.ToStoredTap())], TripEnds = [], ValueChanges = [] },
                again.Time.GetUtcNow());
            PersonState kept = again.Pipeline.WalletOf(Pid);
            Assert.Equal((oracle.Value, JsonSerializer.Serialize(oracle.Trips)), (kept.Value, JsonSerializer.Serialize(kept.Trips)));
        }

        using var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db"));
        Assert.False(files.Db.CollectionExists("units"));
    }

    [Fact]
    public void With_working_set_caches_of_three_entries_eight_days_of_taps_give_the_same_wallets_and_a_restart_keeps_every_duplicate()
    {
        var random = new Random(7);
        List<DayHistoryOrderTests.Batch> batches = DayHistoryOrderTests.Generate(random);
        string Deliver(int cacheCapacity, string dir)
        {
            var clock = new FakeTimeProvider(DayHistoryOrderTests.First);
            using var kit = new PipelineKit(clock, dir, cacheCapacity);
            foreach (DayHistoryOrderTests.Batch b in batches.OrderBy(b => b.Newest))
            {
                if (b.Newest > clock.GetUtcNow())
                {
                    clock.SetUtcNow(b.Newest);
                }

                kit.Send(b.Device, b.Events);
                kit.Pipeline.CloseDueTrips();
            }

            return kit.Wallets();
        }

        string small = TestKit.TempDir();
        Assert.Equal(Deliver(20_000, TestKit.TempDir()), Deliver(3, small));

        using var again = new PipelineKit(new FakeTimeProvider(DayHistoryOrderTests.First.AddDays(9)), small, cacheCapacity: 3);
        foreach (DayHistoryOrderTests.Batch b in batches)
        {
            Assert.All(again.Send(b.Device, b.Events).Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        }
    }

    [Fact]
    public void Entries_archived_before_entries_were_paged_are_numbered_on_open_and_read_page_by_page()
    {
        string dir = TestKit.TempDir();
        List<WalletEntry> all;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir))
        {
            // More entries than are kept with the state (128): the older ones go to an archive document.
            CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(Uid))!;
            for (int i = 1; i <= 140; i++)
            {
                kit.Pipeline.ApplyValueChange(card, i, $"R-{i:D4}", ValueChangeKind.TopUp);
            }

            all = [.. kit.Store.EntriesOf(Pid)];
        }

        // The archive documents as the version before paging wrote them: no numbers.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            ILiteCollection<BsonDocument> entries = files.Db.GetCollection("entries");
            BsonDocument archive = Assert.Single(entries.FindAll().ToList());
            Assert.True(archive.Remove("n") && archive.Remove("pn"));
            entries.Update(archive);
        }

        using var again = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir);
        var paged = new List<WalletEntry>();
        long? before = null;
        do
        {
            WalletEntryPage page = again.Store.EntriesPage(Pid, before, 25);
            Assert.Equal(all.Count, page.Total);
            paged.AddRange(page.Items);
            before = page.Next;
        }
        while (before is not null);

        Assert.Equal(Enumerable.Reverse(all), paged);
    }
}
