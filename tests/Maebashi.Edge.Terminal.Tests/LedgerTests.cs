using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Roles;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>Sequence numbers, retention, capacity and a full disk.</summary>
[Trait("Category", "Terminal")]
public class LedgerTests(ITestOutputHelper output)
{
    private sealed class AdjustableDisk : IDiskSpace
    {
        public long Free { get; set; } = 10L * 1024 * 1024 * 1024;
        public long? FreeBytes(string path) => Free;
    }

    [Fact]
    [Trait("Category", "Fault")]
    public void Restoring_an_old_copy_of_the_state_never_reissues_a_sequence_number()
    {
        using var site = new TestSite();
        // Small blocks, so that the reservation alone cannot hide a reissued number.
        site.Options.Ledger.SeqBlock = 2;
        string state = site.Options.Resolve(site.Options.StateDirectory);
        Directory.CreateDirectory(state);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
        string backup = Path.Combine(site.Directory, "backup");
        var issued = new List<ulong>();
        using (var rig = new PipelineRig(site.Options, new FileLedgerStorage(state), time))
        {
            rig.Vehicle.Set("R01", "S01");
            for (int i = 0; i < 5; i++)
            {
                time.Advance(TimeSpan.FromSeconds(11));
                issued.Add(rig.Tap("04A1B2C3D4E5F6", "rear").Seq!.Value);
            }

            // A technician's backup of the state directory, taken while running.
            Directory.CreateDirectory(backup);
            foreach (string f in Directory.GetFiles(state).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
            {
                File.Copy(f, Path.Combine(backup, Path.GetFileName(f)));
            }

            for (int i = 0; i < 5; i++)
            {
                time.Advance(TimeSpan.FromSeconds(11));
                issued.Add(rig.Tap("04A1B2C3D4E5F6", "rear").Seq!.Value);
            }
        }

        // The old copy is put back (a restore of the configuration and state).
        foreach (string f in Directory.GetFiles(backup))
        {
            File.Copy(f, Path.Combine(state, Path.GetFileName(f)), overwrite: true);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        using (var rig = new PipelineRig(site.Options, new FileLedgerStorage(state), time))
        {
            rig.Vehicle.Set("R01", "S01");
            ulong next = rig.Tap("DEADBEEF", "rear").Seq!.Value;
            Assert.True(next > issued.Max(), $"{next} reissued (issued up to {issued.Max()})");
        }
    }

    [Fact]
    public void Reopening_after_a_crash_skips_the_rest_of_the_reserved_block()
    {
        using var storage = new MemoryLedgerStorage();
        var options = new LedgerOptions { SeqBlock = 10, SeqFloorFromClock = false };
        var time = new FakeTimeProvider();
        ulong last;
        var ledger = TapLedger.Open(storage, options, time);
        ledger.Append(0);
        ledger.Append(0);
        last = ledger.LastSeq;
        Assert.Equal(2UL, last);
        // No Dispose: the process died. The reservation (1..10) was committed with the first tap.
        var reopened = TapLedger.Open(storage, options, time);
        reopened.Append(10);
        Assert.Equal(11UL, reopened.LastSeq);
        reopened.Dispose();
    }

    [Fact]
    public void Acknowledged_entries_are_pruned_after_the_retention_period_and_unacknowledged_ones_never()
    {
        using var storage = new MemoryLedgerStorage();
        var time = new FakeTimeProvider();
        using var ledger = TapLedger.Open(storage, new LedgerOptions { Retention = TimeSpan.FromDays(2), SeqFloorFromClock = false }, time);
        for (int i = 0; i < 10; i++)
        {
            ledger.Append(0);
        }

        Assert.Equal(5, ledger.MarkAcked([1, 2, 3, 4, 5]));
        Assert.Equal(0, ledger.MarkAcked([1, 2, 3]));
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, ledger.Prune());
        time.Advance(TimeSpan.FromDays(1.1));
        Assert.Equal(5, ledger.Prune());
        time.Advance(TimeSpan.FromDays(30));
        Assert.Equal(0, ledger.Prune());
        Assert.Equal([6UL, 7, 8, 9, 10], ledger.Records(false).Select(r => r.Event.Seq));
        Assert.Equal(5, ledger.Backlog);
    }

    [Fact]
    public void Acknowledgements_survive_a_restart_and_their_marks_go_with_the_pruned_entries()
    {
        using var storage = new MemoryLedgerStorage();
        var options = new LedgerOptions { Retention = TimeSpan.FromDays(2), SeqFloorFromClock = false };
        var time = new FakeTimeProvider();
        var ledger = TapLedger.Open(storage, options, time);
        for (int i = 0; i < 10; i++)
        {
            ledger.Append(0);
        }

        // Two runs (1..3 and 5..6) in one ack, unordered and with a repeat; 8 alone in another.
        Assert.Equal(5, ledger.MarkAcked([6, 2, 1, 3, 5, 2]));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, ledger.MarkAcked([8]));
        ledger.Dispose();

        ledger = TapLedger.Open(storage, options, time);
        Assert.Equal([4UL, 7, 9, 10], ledger.UnackedSeqs(100));
        Assert.Equal([4UL, 7, 9, 10], ledger.Records(unackedOnly: true).Select(r => r.Event.Seq));
        Assert.All(ledger.Records(false).Where(r => r.Event.Seq is 1 or 2 or 3 or 5 or 6 or 8), r => Assert.NotNull(r.AckedAt));
        Assert.Equal(0, ledger.MarkAcked([1, 8]));

        // The retention runs from each ack: the first five go, 8 (acknowledged an hour later) stays.
        time.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(30));
        Assert.Equal(5, ledger.Prune());
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, ledger.Prune());
        ledger.Dispose();

        ledger = TapLedger.Open(storage, options, time);
        Assert.Equal([4UL, 7, 9, 10], ledger.Records(false).Select(r => r.Event.Seq));
        Assert.Equal(4, ledger.Backlog);
        Assert.Empty(ledger.Verify());
        ledger.Dispose();
    }

    /// <summary>30 days of a busy bus (1,500 taps a day) with no network: all kept, far from any limit.</summary>
    [Fact]
    public void Thirty_days_of_a_busy_bus_offline_fit_in_the_ledger()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        using var rig = new PipelineRig(site.Options, storage, time);
        rig.Vehicle.Set("R01", "S01");
        const int Days = 30, PerDay = 1500;
        TimeSpan gap = TimeSpan.FromDays(1) / PerDay;
        for (int i = 0; i < Days * PerDay; i++)
        {
            time.Advance(gap);
            TapOutcome o = rig.Tap($"04{i:X12}", i % 2 == 0 ? "rear" : "front");
            Assert.True(o.Verdict == Verdict.Accept, $"tap {i}: {o.Display}");
        }

        LedgerSummary s = rig.Ledger.Summary();
        Assert.Equal(Days * PerDay, s.Backlog);
        Assert.False(s.DiskFull);
        // Well inside the default ceiling (512 MiB): the measured size is in docs/terminal.md.
        Assert.True(s.SizeBytes < 64L * 1024 * 1024, $"ledger of 45,000 taps takes {s.SizeBytes} bytes");
        output.WriteLine($"45,000 taps unacknowledged: ledger {s.SizeBytes} bytes");
        Assert.Equal(s.OldestUnackedSeq, rig.Ledger.UnackedSeqs(1)[0]);
        Assert.Empty(rig.Ledger.Verify());
    }

    [Fact]
    public async Task A_full_disk_refuses_new_taps_says_so_and_keeps_every_accepted_one()
    {
        using var site = new TestSite();
        var disk = new AdjustableDisk();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero));
        var gpio = new EmulatedGpioDriver();
        var parts = new TerminalParts { Time = time, DiskSpace = disk, Gpio = new System.Device.Gpio.GpioController(gpio) };
        var runtime = TerminalRuntime.Create(site.Options, parts);
        try
        {
            runtime.Vehicle.Set("R01", "S01");
            var accepted = new List<ulong>();
            for (int i = 0; i < 3; i++)
            {
                accepted.Add(runtime.Pipeline.Tap(new CardRead(Contract.Identity.CardTech.Iso14443A, Convert.FromHexString($"0A0B0C{i:X2}"), "rear")).Seq!.Value);
            }

            runtime.Ledger.MarkAcked([accepted[0]]);
            disk.Free = 1024;
            time.Advance(TimeSpan.FromSeconds(6));
            TapOutcome refused = runtime.Pipeline.Tap(new CardRead(Contract.Identity.CardTech.Iso14443A, Convert.FromHexString("0A0B0CFF"), "rear"));
            Assert.Equal(Verdict.Refused, refused.Verdict);
            Assert.Equal(TapPipeline.StorageFullLine, runtime.Display.Line);
            Assert.Contains("記録容量", refused.Display);

            DeviceStatus status = runtime.Status("degraded");
            Assert.True(status.DiskFull);
            Assert.Equal(2, status.Backlog);
            // The acknowledged entry went early to make room; the accepted, unacknowledged ones stay.
            Assert.Equal(accepted.Skip(1), runtime.Ledger.Records(false).Select(r => r.Event.Seq));
            time.Advance(site.Options.Feedback.LightFor);
            Assert.Equal(TapPipeline.StorageFullLine, runtime.Display.Line);

            disk.Free = 10L * 1024 * 1024 * 1024;
            Assert.Equal(Verdict.Accept, runtime.Pipeline.Tap(new CardRead(Contract.Identity.CardTech.Iso14443A, Convert.FromHexString("0A0B0CFE"), "rear")).Verdict);
            Assert.False(runtime.Status("online").DiskFull);
        }
        finally
        {
            await runtime.DisposeAsync();
        }
    }
}
