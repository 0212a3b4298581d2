using Maebashi.Edge.Terminal.Ledger;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>The ledger's log on the disk: checkpoints between taps, and acks written once per interval.</summary>
[Trait("Category", "Terminal")]
public sealed class LedgerLogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mbe-ledgerlog-" + Guid.NewGuid().ToString("N"));

    public LedgerLogTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name)
    {
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static long LogBytes(string dir) => new FileInfo(Path.Combine(dir, FileLedgerStorage.LogFileName)).Length;

    /// <summary>What the disk holds at a power cut: the ledger writes each page straight to the OS.</summary>
    private string CopyAtPowerCut(string from, string name)
    {
        string to = Dir(name);
        foreach (string file in new[] { FileLedgerStorage.DataFileName, FileLedgerStorage.LogFileName })
        {
            using var source = new FileStream(Path.Combine(from, file), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var target = File.Create(Path.Combine(to, file));
            source.CopyTo(target);
        }

        return to;
    }

    [Fact]
    public void Taps_back_to_back_keep_the_log_bounded_and_every_entry_is_there_after_a_restart()
    {
        string dir = Dir("ledger");
        var options = new LedgerOptions { CheckpointPages = 10, SeqFloorFromClock = false };
        long largest = 0;
        using (var ledger = TapLedger.Open(new FileLedgerStorage(dir), options))
        {
            for (int i = 0; i < 400; i++)
            {
                ledger.Append(0);
                largest = Math.Max(largest, LogBytes(dir));
            }
        }

        // Checkpointed in the background between taps, or at the latest inside the tap that reached the hard bound
        // (plus that tap's own commit); without checkpoints 400 taps leave well over 1,000 pages.
        long bound = (long)options.CheckpointPages * LedgerCheckpoints.InlineFactor * 8192 + 8 * 8192;
        Assert.True(largest <= bound, $"the log grew to {largest / 8192} pages (bound {bound / 8192})");

        using var reopened = TapLedger.Open(new FileLedgerStorage(dir), options);
        Assert.Equal(400, reopened.Entries);
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (ulong)i), reopened.UnackedSeqs(1000));
    }

    [Fact]
    [Trait("Category", "Fault")]
    public void A_power_cut_loses_at_most_the_acks_of_the_last_write_interval_and_those_entries_are_sent_again()
    {
        string dir = Dir("ledger");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));
        var options = new LedgerOptions { AckWriteInterval = TimeSpan.FromSeconds(1), SeqFloorFromClock = false };
        using var ledger = TapLedger.Open(new FileLedgerStorage(dir), options, time);
        for (int i = 0; i < 10; i++)
        {
            ledger.Append(0);
        }

        // The first ack is written at once; the next, a tenth of a second later, waits in memory.
        Assert.Equal(2, ledger.MarkAcked([1, 2]));
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, ledger.MarkAcked([3]));
        Assert.Equal(7, ledger.Backlog);

        string cut1 = CopyAtPowerCut(dir, "cut1");
        using (var after = TapLedger.Open(new FileLedgerStorage(cut1), options, time))
        {
            // 3 is sent again (the ingest answers it as a duplicate); 1 and 2 are not.
            Assert.Equal([3UL, 4, 5, 6, 7, 8, 9, 10], after.UnackedSeqs(100));
        }

        // A second on, the next ack writes what waited with it.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, ledger.MarkAcked([4]));
        string cut2 = CopyAtPowerCut(dir, "cut2");
        using (var after = TapLedger.Open(new FileLedgerStorage(cut2), options, time))
        {
            Assert.Equal([5UL, 6, 7, 8, 9, 10], after.UnackedSeqs(100));
            Assert.All(after.Records(false).Where(r => r.Event.Seq <= 4), r => Assert.NotNull(r.AckedAt));
        }
    }
}
