using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>Each (device, seq) applied exactly once, whatever is redelivered, overlapped or reordered; ack upTo.</summary>
[Trait("Category", "Ingest")]
public sealed class ExactlyOnceTests
{
    private static DateTimeOffset J(int h, int m) => new(2026, 11, 30, h, m, 0, TestKit.Jst);

    private static FakeTimeProvider Clock() => new(J(12, 0));

    // A morning on two buses, an event site and a clinic, on the sample registry.
    private static readonly JsonObject[] Bus42 =
    [
        TestKit.Board(1, "04A1B2C3D4E5F6", J(8, 0), "S01"),
        TestKit.Board(2, "DEADBEEF", J(8, 1), "S01"),
        TestKit.Alight(3, "04A1B2C3D4E5F6", J(8, 20), "S05"),
        TestKit.Alight(4, "DEADBEEF", J(8, 21), "S03"),
        TestKit.Board(5, "CAFEBABE", J(9, 0), "S01"),
        TestKit.Alight(6, "CAFEBABE", J(9, 30), "S07"),
    ];

    private static readonly JsonObject[] Bus43 =
    [
        TestKit.Board(1, "0101120012345678", J(8, 40), "M01", "R02", "V0043"),
        TestKit.Alight(2, "0101120012345678", J(8, 55), "M03", "R02", "V0043"),
        TestKit.Board(3, "04C0FFEE123456", J(10, 0), "M01", "R02", "V0043"),
        new JsonObject { ["seq"] = 4, ["type"] = "trip_end", ["at"] = TestKit.At(J(11, 0)), ["ctx"] = new JsonObject { ["vehicle"] = "V0043" } },
    ];

    internal static readonly JsonObject[] Evt =
    [
        TestKit.EventIn(1, "0F0E0D0C", J(8, 10), "E-WALK-1130"),
        new JsonObject
        {
            ["seq"] = 2, ["type"] = "event_out", ["at"] = TestKit.At(J(9, 40)),
            ["card"] = new JsonObject { ["tok"] = TestKit.Tok("0F0E0D0C"), ["tech"] = "iso14443a" },
            ["ctx"] = new JsonObject { ["event"] = "E-WALK-1130" }, ["decision"] = "accept",
        },
    ];

    private static readonly JsonObject[] Clinic = [TestKit.Checkin(1, "04BADA55C0FFEE", J(10, 0), "C01", 1)];

    private static string InOrder()
    {
        using var kit = new PipelineKit(Clock());
        kit.Send("BUS0042", Bus42);
        kit.Send("BUS0043", Bus43);
        kit.Send("EVT01", Evt);
        kit.Send("CLN01", Clinic);
        return kit.Wallets();
    }

    [Fact]
    public void The_same_batch_redelivered_is_acknowledged_as_duplicate_and_changes_nothing()
    {
        string expected = InOrder();
        using var kit = new PipelineKit(Clock());
        kit.Send("BUS0042", Bus42);
        kit.Send("BUS0043", Bus43);
        kit.Send("EVT01", Evt);
        kit.Send("CLN01", Clinic);
        string once = kit.Wallets();

        Ack again = kit.Send("BUS0042", Bus42);
        Assert.All(again.Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        Assert.Equal(6UL, again.UpTo);
        kit.Send("BUS0043", Bus43);
        kit.Send("EVT01", Evt);
        kit.Send("CLN01", Clinic);

        Assert.Equal(expected, once);
        Assert.Equal(expected, kit.Wallets());
    }

    [Fact]
    public void Overlapping_batches_give_the_same_wallets_as_one_in_order_delivery()
    {
        string expected = InOrder();
        using var kit = new PipelineKit(Clock());
        kit.Send("BUS0042", Bus42[..4]);
        Ack overlap = kit.Send("BUS0042", Bus42[2..]);
        Assert.Equal([ResultStatus.Duplicate, ResultStatus.Duplicate, ResultStatus.Applied, ResultStatus.Applied], overlap.Results.Select(r => r.Status));
        kit.Send("BUS0043", Bus43[..2]);
        kit.Send("BUS0043", Bus43[1..]);
        kit.Send("EVT01", Evt[..1]);
        kit.Send("EVT01", Evt);
        kit.Send("CLN01", Clinic);
        Assert.Equal(expected, kit.Wallets());
    }

    [Fact]
    public void Reordered_batches_give_the_same_wallets_as_one_in_order_delivery()
    {
        string expected = InOrder();
        using var kit = new PipelineKit(Clock());
        kit.Send("CLN01", Clinic);
        kit.Send("EVT01", Evt[1..]);
        kit.Send("BUS0043", Bus43[2..]);
        kit.Send("BUS0042", Bus42[3..]);
        kit.Send("BUS0043", Bus43[..2]);
        kit.Send("BUS0042", Bus42[..3]);
        kit.Send("EVT01", Evt[..1]);
        Assert.Equal(expected, kit.Wallets());
    }

    [Fact]
    public void UpTo_is_the_highest_settled_seq_and_an_older_batch_does_not_lower_it()
    {
        using var kit = new PipelineKit(Clock());
        Ack a = kit.Send("BUS0042", Bus42[4], Bus42[5]);
        Assert.Equal(6UL, a.UpTo);
        Assert.Equal([5UL, 6UL], a.Results.Select(r => r.Seq));

        // Sequence numbers need not be contiguous; an older batch arriving late is settled and upTo stays.
        Ack late = kit.Send("BUS0042", Bus42[0], Bus42[2]);
        Assert.Equal(6UL, late.UpTo);
        Assert.All(late.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));

        // A rejected event is settled too (it will never be applied): it counts for upTo.
        JsonObject unknownCard = TestKit.Board(9, "04A1B2C3D4E5F6", J(11, 0), "S01");
        unknownCard["card"]!["tok"] = "AAAAAAAAAAAAAAAAAAAAAA";
        Ack rejected = kit.Send("BUS0042", unknownCard);
        Assert.Equal(9UL, rejected.UpTo);
        Assert.Equal(ResultStatus.Rejected, rejected.Results[0].Status);
        Assert.Contains("unknown card", rejected.Results[0].Reason, StringComparison.Ordinal);
        Assert.Contains(kit.Store.Quarantine(10), q => q.Seq == 9 && q.Code == "UnknownCard");
    }

    [Fact]
    public void A_late_alight_re_rates_a_trip_closed_without_one_and_the_wallet_records_the_adjustment()
    {
        using var kit = new PipelineKit(Clock());
        const string uid = "04A1B2C3D4E5F6";
        string pid = "P0001";

        // Board at 08:00 on R01 from S01; at 12:00 the trip is past board + 180 min: the highest fare from S01, 340.
        kit.Send("BUS0042", TestKit.Board(1, uid, J(8, 0), "S01"));
        kit.Pipeline.CloseDueTrips();
        Assert.Equal(1000 - 340, kit.Pipeline.WalletOf(pid).Value);

        // The alight at S05 (zone 3) arrives late: 180 + 2 × 40 = 260, so 80 comes back as an adjustment.
        kit.Send("BUS0042", TestKit.Alight(2, uid, J(8, 20), "S05"));
        Assert.Equal(1000 - 260, kit.Pipeline.WalletOf(pid).Value);
        IReadOnlyList<WalletEntry> entries = kit.Store.EntriesOf(pid);
        Assert.Contains(entries, e => e.Adjustment && e.Value == 80);
        Assert.Equal(1000 - 260, entries.Sum(e => e.Value));
    }

    [Fact]
    public void A_trip_left_open_is_closed_by_the_clock_at_board_plus_180_minutes()
    {
        var clock = new FakeTimeProvider(J(8, 30));
        using var kit = new PipelineKit(clock);
        kit.Send("BUS0042", TestKit.Board(1, "04A1B2C3D4E5F6", J(8, 0), "S02"));
        Assert.Equal(0, kit.Pipeline.CloseDueTrips());
        Assert.Equal(1000, kit.Pipeline.WalletOf("P0001").Value);

        clock.SetUtcNow(J(11, 1));
        Assert.Equal(1, kit.Pipeline.CloseDueTrips());

        // From S02 (zone 1) the highest fare on R01 is min(340, 180 + 40 × 4) = 340.
        Assert.Equal(1000 - 340, kit.Pipeline.WalletOf("P0001").Value);
        Assert.Equal(0, kit.Pipeline.CloseDueTrips());
    }

    [Fact]
    public void Persons_dropped_from_the_memory_cache_are_read_back_and_give_the_same_wallets()
    {
        string expected = InOrder();

        // Caches of 3 entries (the least BitFaster's LRU takes) force nearly every person, vehicle day and
        // de-duplication block out and back in from disk.
        using var kit = new PipelineKit(Clock(), cacheCapacity: 3);
        foreach (JsonObject e in Bus42)
        {
            kit.Send("BUS0042", e);
        }

        kit.Send("BUS0043", Bus43);
        kit.Send("EVT01", Evt);
        kit.Send("CLN01", Clinic);
        Assert.Equal(expected, kit.Wallets());
    }

    [Fact]
    public void After_a_snapshot_of_every_person_a_restart_gives_the_same_wallets_and_keeps_every_de_duplication_record()
    {
        string expected = InOrder();
        string dir = TestKit.TempDir();

        // A snapshot after every 2 person states logged: several snapshots happen, with states logged after the last.
        using (var kit = new PipelineKit(Clock(), dir, snapshotEvery: 2))
        {
            foreach (JsonObject e in Bus42)
            {
                kit.Send("BUS0042", e);
            }

            kit.Send("BUS0043", Bus43);
            kit.Send("EVT01", Evt);
        }

        using (var db = new LiteDB.LiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            Assert.True(db.GetCollection("personsnap").Count() > 0, "no snapshot was written");
        }

        using var again = new PipelineKit(Clock(), dir, snapshotEvery: 2);
        Ack ack = again.Send("BUS0043", Bus43);
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        again.Send("CLN01", Clinic);
        Assert.Equal(expected, again.Wallets());
    }

    [Fact]
    public void A_wallet_with_more_entries_than_kept_with_the_person_archives_them_and_reads_the_same_after_a_restart()
    {
        // 80 daily rides, one batch each: a fare and ride points per ride is more than the 128 entries kept
        // with the person's state, so the oldest move to the archive, mid-way, and both are read back.
        string dir = TestKit.TempDir();
        string before;
        int entries;
        using (var kit = new PipelineKit(Clock(), dir))
        {
            for (int day = 80; day >= 1; day--)
            {
                ulong seq = (ulong)(81 - day) * 2;
                kit.Send("BUS0042", TestKit.Board(seq - 1, "DEADBEEF", J(8, 0).AddDays(-day), "S01"), TestKit.Alight(seq, "DEADBEEF", J(8, 20).AddDays(-day), "S03"));
            }

            before = kit.Wallets();
            string pid = TestKit.Registry.FindCard(TestKit.Tok("DEADBEEF"))!.Pid;
            entries = kit.Store.EntriesOf(pid).Count;
        }

        Assert.True(entries > 128, $"only {entries} entries: the archive was not exercised");
        using var again = new PipelineKit(Clock(), dir);
        Assert.Equal(before, again.Wallets());
    }

    [Fact]
    public void A_batch_whose_fsync_fails_is_not_acknowledged_the_store_takes_no_more_and_a_restart_applies_every_tap_once()
    {
        string expected = InOrder();
        string dir = TestKit.TempDir();
        var disk = new FailingLogFsync();
        using (var kit = new PipelineKit(Clock(), dir, logFsync: disk))
        {
            foreach (JsonObject e in Bus42)
            {
                kit.Send("BUS0042", e);
            }

            disk.FailNext = true;

            // Committed but not known to be on disk: no ack, and nothing more is taken (not even on a good disk).
            byte[] bus43 = TestKit.Batch("BUS0043", Bus43);
            Assert.Throws<InvalidOperationException>(() => kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0043"), bus43, TestKit.Mac("BUS0043", bus43)));
            byte[] evt = TestKit.Batch("EVT01", Evt);
            InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => kit.Pipeline.ProcessBatch(TestKit.Topic("EVT01"), evt, TestKit.Mac("EVT01", evt)));
            Assert.Contains("restart the ingest", refused.InnerException!.Message);
        }

        // After the restart the devices send again what was not acknowledged: each tap counts once.
        using var again = new PipelineKit(Clock(), dir);
        again.Send("BUS0043", Bus43);
        again.Send("EVT01", Evt);
        again.Send("CLN01", Clinic);
        Assert.Equal(expected, again.Wallets());
    }

    [Fact]
    public void A_restart_on_the_same_store_keeps_every_de_duplication_record()
    {
        string dir = TestKit.TempDir();
        string before;
        using (var kit = new PipelineKit(Clock(), dir))
        {
            kit.Send("BUS0042", Bus42);
            before = kit.Wallets();
        }

        using var again = new PipelineKit(Clock(), dir);
        Ack ack = again.Send("BUS0042", Bus42);
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        Assert.Equal(before, again.Wallets());
    }
}
