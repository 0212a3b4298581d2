using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The LiteDB store's person snapshot written step by step (issue 13, memory bounded): a snapshot that fails before it
/// is named loses nothing, its leftovers go at the next open, and a store written before generations reads as before.
/// </summary>
[Trait("Category", "History")]
public sealed class PersonSnapshotTests
{
    private static readonly string[] Cards = ["04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D"];

    // Snapshot documents of generation g have ids from g·2^40 + 1 (LiteDbIngestStore.Snapshot.cs).
    private static long FirstId(long generation) => (generation << 40) + 1;

    private static DateTimeOffset Day(int day, int h, int m) => new DateTimeOffset(2026, 11, 1, h, m, 0, TestKit.Jst).AddDays(day - 1);

    private static ulong Ride(PipelineKit kit, ulong seq, int day)
    {
        foreach (string card in Cards)
        {
            kit.Send("BUS0042", TestKit.Board(++seq, card, Day(day, 8, 0), "S01"), TestKit.Alight(++seq, card, Day(day, 8, 20), "S03"));
        }

        return seq;
    }

    private static List<long> Ids(string dir, string collection)
    {
        using var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db"));
        return [.. files.Db.GetCollection(collection).FindAll().Select(d => d["_id"].AsInt64).Order()];
    }

    /// <summary>
    /// Opens the store, checks its wallets and writes a snapshot: that one (of <paramref name="generation"/>) is then the
    /// only snapshot and covers the whole log, and the store opened again (returned) holds the same wallets.
    /// </summary>
    private static PipelineKit NextSnapshotReplacesTheRest(string dir, string wallets, long generation)
    {
        using (var again = new PipelineKit(new FakeTimeProvider(Day(3, 10, 0)), dir))
        {
            Assert.Equal(wallets, again.Wallets());
            again.Store.WriteSnapshot();
        }

        Assert.Equal([FirstId(generation)], Ids(dir, "personsnap"));
        Assert.Empty(Ids(dir, "personlog"));
        var last = new PipelineKit(new FakeTimeProvider(Day(3, 11, 0)), dir);
        try
        {
            Assert.Equal(wallets, last.Wallets());
            return last;
        }
        catch
        {
            last.Dispose();
            throw;
        }
    }

    [Fact]
    public void A_snapshot_whose_disk_fails_before_it_is_named_loses_no_state_and_the_next_one_replaces_the_old()
    {
        string dir = TestKit.TempDir();
        var disk = new FailingLogFsync();
        string wallets;
        ulong seq = 0;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(3, 9, 0)), dir, logFsync: disk))
        {
            seq = Ride(kit, seq, 1);
            Assert.Equal(3, kit.Store.WriteSnapshot());
            seq = Ride(kit, seq, 2);

            // The next snapshot's first step is not made durable: the snapshot is dropped, the store goes on.
            disk.FailNext = true;
            kit.Store.WriteSnapshot();
            seq = Ride(kit, seq, 3);
            wallets = kit.Wallets();
        }

        // Generation 1 is named; generation 2's documents were written but never named.
        Assert.Contains(Ids(dir, "personsnap"), id => id >= FirstId(2));

        // The snapshot that succeeded replaced the earlier ones and covers the whole log.
        using PipelineKit last = NextSnapshotReplacesTheRest(dir, wallets, generation: 2);
        Assert.All(last.Send("BUS0042", TestKit.Board(seq, Cards[0], Day(3, 8, 0), "S01")).Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
    }

    [Fact]
    public void A_store_written_before_snapshot_generations_reads_its_snapshot_and_log_and_its_next_snapshot_replaces_them()
    {
        string dir = TestKit.TempDir();
        string wallets;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(3, 9, 0)), dir))
        {
            ulong seq = Ride(kit, 0, 1);
            kit.Store.WriteSnapshot();
            Ride(kit, seq, 2);
            wallets = kit.Wallets();
        }

        // As the version before wrote it: snapshot documents numbered from 1, every log document current, no names.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            ILiteCollection<BsonDocument> snapshot = files.Db.GetCollection("personsnap");
            long id = 1;
            foreach (BsonDocument d in snapshot.FindAll().ToList())
            {
                snapshot.Delete(d["_id"]);
                d["_id"] = id++;
                snapshot.Insert(d);
            }

            Assert.True(files.Db.GetCollection("meta").Delete(LiteDbIngestStore.SnapshotGenerationKey));
            Assert.True(files.Db.GetCollection("meta").Delete(LiteDbIngestStore.LogFromKey));
        }

        Assert.NotEmpty(Ids(dir, "personlog"));
        NextSnapshotReplacesTheRest(dir, wallets, generation: 1).Dispose();
    }
}
