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

        // Trips, postings and checkpoints in their own collections, as the store kept them until the day documents held them.
        LegacyStores.SplitPersonDays(db);
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
            Assert.Equal(TripClose.Open, Assert.Single(again.Store.AllTrips("P0002")).Close);
            again.Send("BUS0043", new JsonObject
            {
                ["seq"] = 2UL, ["type"] = EventTypes.TripEnd, ["at"] = TestKit.At(Day(5, 10, 40)), ["ctx"] = new JsonObject { ["vehicle"] = "V0043" },
            });
            Assert.Equal(TripClose.MissingTapOff, Assert.Single(again.Store.AllTrips("P0002")).Close);

            // A late trip of day 3 is rated from the moved taps, as the full replay rates it.
            again.Send("BUS0042", TestKit.Board(++seq, Uid, Day(3, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(3, 18, 20), "S03"));
            IReadOnlyList<TapRecord> all = again.Store.Write(w => w.TapsOfPerson(Pid, DateTimeOffset.MinValue));
            Assert.Equal(10, all.Count);
            WalletView oracle = WalletRules.Evaluate(
                TestKit.Registry,
                new PersonHistory { Person = TestKit.Registry.FindPerson(Pid)!, Taps = [.. all.Select(t => t.ToStoredTap())], TripEnds = [], ValueChanges = [] },
                again.Time.GetUtcNow());
            PersonState kept = again.Pipeline.WalletOf(Pid);
            Assert.Equal((oracle.Value, JsonSerializer.Serialize(oracle.Trips)), (kept.Value, JsonSerializer.Serialize(again.Store.AllTrips(Pid))));
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
            // Many more entries than are kept with the state (LiteDbLayout.InlineEntries): the older ones go to archive documents.
            CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(Uid))!;
            for (int i = 1; i <= 140; i++)
            {
                kit.Pipeline.ApplyValueChange(card, i, $"R-{i:D4}", ValueChangeKind.TopUp);
            }

            all = [.. kit.Store.EntriesOf(Pid)];
        }

        // The archive documents as the version before paging wrote them: no numbers; and the person's state without
        // the archive's counts, which that version did not keep.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            ILiteCollection<BsonDocument> entries = files.Db.GetCollection("entries");
            List<BsonDocument> archives = entries.FindAll().ToList();
            Assert.True(archives.Count >= 2, $"{archives.Count} archive document(s)");
            foreach (BsonDocument archive in archives)
            {
                Assert.True(archive.Remove("n") && archive.Remove("pn"));
                entries.Update(archive);
            }
            LegacyStores.RewritePersons(files.Db, p => p.Remove("ad") && p.Remove("ae"));
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

    [Fact]
    public void A_store_that_kept_trips_with_each_persons_state_moves_them_into_settled_days_on_open()
    {
        string dir = TestKit.TempDir();
        string wallets;
        IReadOnlyList<Trip> trips;
        IReadOnlyList<Posting> postings;
        ulong seq;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir))
        {
            seq = DayHistoryTests.Commute(kit, 1, 12, 0);
            kit.Store.WriteSnapshot();
            seq = DayHistoryTests.Commute(kit, 13, 15, seq);
            wallets = kit.Wallets();
            trips = kit.Store.AllTrips(Pid);
            postings = kit.Store.Write(w => w.SettledFrom(Pid, DateOnly.MinValue)).Postings;
        }

        // The layout before settled days: every trip with the person's state (in the snapshot and in each log entry),
        // the postings only in the entries, no counts of the archive, no settlements.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            LegacyStores.RewritePersons(files.Db, p =>
            {
                p["trips"] = p["pid"]!.GetValue<string>() == Pid ? JsonSerializer.SerializeToNode(trips, options) : new JsonArray();
                return p.Remove("ad") && p.Remove("ae");
            });
            Assert.True(LegacyStores.RemovePersonDayPart(files.Db, "s") > 0);
        }

        using (var again = new PipelineKit(new FakeTimeProvider(Day(16, 9, 0)), dir))
        {
            Assert.Equal(wallets, again.Wallets());
            Assert.Equal(JsonSerializer.Serialize(trips), JsonSerializer.Serialize(again.Store.AllTrips(Pid)));
            // The moved postings are the entries summed by key (what the next evaluation is diffed against).
            Assert.Equal(
                postings.Select(p => (p.Key, p.Value, p.Points, p.At)).Order(),
                again.Store.Write(w => w.SettledFrom(Pid, DateOnly.MinValue)).Postings.Select(p => (p.Key, p.Value, p.Points, p.At)).Order());
        }

        // The states were written again without their trips.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            Assert.Empty(files.Db.GetCollection("personlog").FindAll());
            JsonArray persons = JsonNode.Parse(Assert.Single(files.Db.GetCollection("personsnap").FindAll())["b"].AsBinary)!.AsArray();
            Assert.All(persons, p => Assert.False(p!.AsObject().ContainsKey("trips")));
        }

        // A late ride of day 5 re-rates from day 5's checkpoint against the moved days, as a full replay would.
        using var later = new PipelineKit(new FakeTimeProvider(Day(16, 9, 0)), dir);
        later.Send("BUS0042", TestKit.Board(++seq, Uid, Day(5, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(5, 18, 20), "S03"));
        DayHistoryTests.AssertFullReplay(later);
        Assert.Equal(trips.Count + 1, later.Store.AllTrips(Pid).Count);
    }

    [Fact]
    public void A_store_that_kept_settled_days_and_checkpoints_apart_moves_them_into_the_day_documents_on_open()
    {
        string dir = TestKit.TempDir();
        string wallets, trips, report;
        ulong seq;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir))
        {
            seq = DayHistoryTests.Commute(kit, 1, 6, 0);
            kit.Time.SetUtcNow(Day(7, 9, 0));
            kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(3, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(3, 18, 20), "S03"));
            wallets = kit.Wallets();
            trips = JsonSerializer.Serialize(kit.Store.AllTrips(Pid));
            report = JsonSerializer.Serialize(kit.Store.TripsOn("2026-11-03"));
        }

        // Six days with trips and a checkpoint each (and the opening balance's day), in settlements and checkpoints as
        // the store kept them before.
        int moved;
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            moved = LegacyStores.SplitPersonDays(files.Db);
        }

        Assert.True(moved >= 12, $"{moved} parts moved");
        var reads = new DayHistoryTests.Reads();
        using (var again = new PipelineKit(new FakeTimeProvider(Day(7, 9, 30)), dir, evaluate: reads.Evaluator))
        {
            Assert.Equal(wallets, again.Wallets());
            Assert.Equal(trips, JsonSerializer.Serialize(again.Store.AllTrips(Pid)));
            Assert.Equal(report, JsonSerializer.Serialize(again.Store.TripsOn("2026-11-03")));

            // A late ride of day 4 resumes from day 4's moved checkpoint against the moved days, as a full replay rates it.
            again.Send("BUS0042", TestKit.Board(++seq, Uid, Day(4, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(4, 18, 20), "S03"));
            Assert.Equal(new DateOnly(2026, 11, 4), reads.Last.From);
            DayHistoryTests.AssertFullReplay(again);
        }

        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            Assert.False(files.Db.CollectionExists("settlements"));
            Assert.False(files.Db.CollectionExists("checkpoints"));
            List<BsonDocument> days = [.. files.Db.GetCollection("daytaps").FindAll().Where(d => d["_id"].AsString.StartsWith("p|P0001|", StringComparison.Ordinal))];
            Assert.Equal(6, days.Count(d => d.ContainsKey("s") && d.ContainsKey("c") && d.ContainsKey("b")));
            Assert.Equal(moved, days.Count(d => d.ContainsKey("s")) + days.Count(d => d.ContainsKey("c")));
        }
    }

    [Fact]
    public void The_retention_purge_looks_only_at_days_with_taps_and_a_purged_days_trips_stay_findable_by_day()
    {
        // Every person has a day document without taps (the opening balance's day, 0001-01-01, older than any
        // horizon): on a city's store a purge that looked at those rewrote one per person in one unit at start.
        string dir = TestKit.TempDir();
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(30, 12, 0)), dir))
        {
            kit.Send("BUS0042",
                TestKit.Board(1, Uid, Day(1, 8, 0).AddYears(-2), "S01"), TestKit.Alight(2, Uid, Day(1, 8, 20).AddYears(-2), "S05"),
                TestKit.Board(3, Uid, Day(29, 8, 0), "S01"), TestKit.Alight(4, Uid, Day(29, 8, 20), "S05"));
            Assert.Equal(2, TapRetention.Purge(kit.Store, kit.Time.GetUtcNow(), years: 1));
            Assert.Equal(0, TapRetention.Purge(kit.Store, kit.Time.GetUtcNow(), years: 1));
        }

        using var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db"));
        Dictionary<string, BsonDocument> days = files.Db.GetCollection("daytaps").FindAll()
            .Where(d => d["_id"].AsString.StartsWith("p|P0001|", StringComparison.Ordinal))
            .ToDictionary(d => d["_id"].AsString[^10..]);
        Assert.Equal(["0001-01-01", "2024-11-01", "2026-11-29"], days.Keys.Order(StringComparer.Ordinal));

        // The day without taps is in neither day index; the purged day keeps its trips and checkpoint under dp; today's is whole.
        Assert.True(days["0001-01-01"].ContainsKey("s"));
        Assert.False(days["0001-01-01"].ContainsKey("dy") || days["0001-01-01"].ContainsKey("dp"));
        Assert.Equal(["c", "dp", "s"], days["2024-11-01"].Keys.Where(k => k != "_id").Order(StringComparer.Ordinal));
        Assert.Equal("2024-11-01", days["2024-11-01"]["dp"].AsArray.Single().AsString);
        Assert.True(new[] { "b", "s", "c", "dy" }.All(days["2026-11-29"].ContainsKey));
    }

    [Fact]
    public void Top_ups_stored_before_they_were_indexed_by_time_get_their_key_on_open_and_are_read_by_range()
    {
        string dir = TestKit.TempDir();
        string wallets;
        ulong seq = 0;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 10, 0)), dir))
        {
            CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(Uid))!;
            for (int day = 1; day <= 9; day += 2)
            {
                kit.Time.SetUtcNow(Day(day, 10, 0));
                kit.Pipeline.ApplyValueChange(card, 100 * day, $"R-{day:D4}", ValueChangeKind.TopUp);
                kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(day, 11, 0), "S01"), TestKit.Alight(++seq, Uid, Day(day, 11, 20), "S03"));
            }

            wallets = kit.Wallets();
        }

        // As the version before wrote them: no (person, time) key, an index on the person alone.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            ILiteCollection<BsonDocument> changes = files.Db.GetCollection("valuechanges");
            foreach (BsonDocument d in changes.FindAll().ToList())
            {
                Assert.True(d.Remove("pa"));
                changes.Update(d);
            }

            Assert.True(changes.DropIndex("pa"));
            Assert.True(changes.EnsureIndex("p"));
        }

        using (var again = new PipelineKit(new FakeTimeProvider(Day(10, 9, 0)), dir))
        {
            Assert.Equal(wallets, again.Wallets());
            Assert.Equal([500, 700, 900], again.Store.Write(w => w.ValueChangesOf(Pid, WalletRules.DayStart(new DateOnly(2026, 11, 5)))).Select(c => c.Amount));

            // A late ride of day 4 replays from that day: the top-ups of days 5, 7 and 9 counted once, as in a full replay.
            again.Send("BUS0042", TestKit.Board(++seq, Uid, Day(4, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(4, 18, 20), "S03"));
            DayHistoryTests.AssertFullReplay(again);
        }

        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            ILiteCollection<BsonDocument> changes = files.Db.GetCollection("valuechanges");
            Assert.All(changes.FindAll(), d => Assert.StartsWith(Pid + "|", d["pa"].AsString));
            Assert.DoesNotContain(files.Db.GetCollection("$indexes").Find("collection = 'valuechanges'"), i => i["name"].AsString == "p");
        }
    }

    [Fact]
    public void A_replay_reads_the_top_ups_after_its_start_also_when_the_states_were_stored_before_they_kept_the_latest()
    {
        // Top-ups on days 1 and 5, rides on days 1, 3, 5 and 7, and a late ride of day 6 (after the last top-up: a
        // replay from there has no top-up to read).
        static ulong Days(PipelineKit kit)
        {
            CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(Uid))!;
            ulong seq = 0;
            for (int day = 1; day <= 7; day += 2)
            {
                kit.Time.SetUtcNow(Day(day, 10, 0));
                if (day is 1 or 5)
                {
                    kit.Pipeline.ApplyValueChange(card, 1000 * day, $"R-{day:D4}", ValueChangeKind.TopUp);
                }

                kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(day, 11, 0), "S01"), TestKit.Alight(++seq, Uid, Day(day, 11, 20), "S03"));
            }

            kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(6, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(6, 18, 20), "S03"));
            return seq;
        }

        // A late ride of day 4, replayed from day 3's checkpoint: the top-up of day 5 counts once.
        static void LateRide(PipelineKit kit, ulong seq)
        {
            kit.Time.SetUtcNow(Day(8, 9, 0));
            kit.Send("BUS0042", TestKit.Board(seq + 1, Uid, Day(4, 18, 0), "S01"), TestKit.Alight(seq + 2, Uid, Day(4, 18, 20), "S03"));
        }

        string expected;
        using (var control = new PipelineKit(new FakeTimeProvider(Day(1, 10, 0)), TestKit.TempDir()))
        {
            LateRide(control, Days(control));
            DayHistoryTests.AssertFullReplay(control);
            expected = control.Wallets();
        }

        string dir = TestKit.TempDir();
        string wallets;
        ulong last;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 10, 0)), dir))
        {
            last = Days(kit);
            wallets = kit.Wallets();
        }

        // As the version before wrote them: states without the person's latest top-up.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            LegacyStores.RewritePersons(files.Db, p => p.Remove("vc"));
        }

        using (var again = new PipelineKit(new FakeTimeProvider(Day(8, 9, 0)), dir))
        {
            Assert.Equal(wallets, again.Wallets());
            LateRide(again, last);
            Assert.Equal(expected, again.Wallets());
        }

        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            // The state logged since carries it (found when the store opened).
            JsonObject logged = files.Db.GetCollection("personlog").FindAll()
                .SelectMany(d => JsonNode.Parse(d["b"].AsBinary)!.AsArray()).Select(n => n!.AsObject()).Last(o => (string?)o["pid"] == Pid);
            Assert.Equal(Day(5, 10, 0).UtcTicks, (long?)logged["vc"]);
        }
    }
}
