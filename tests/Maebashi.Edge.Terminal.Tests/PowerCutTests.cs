using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// The durable-commit proof (docs/contract.md §4, §8): the power goes at every single write, flush or
/// resize of a run of taps, with a disk that keeps only what was flushed. After each cut the
/// ledger reopens, and every tap whose feedback was shown is there, intact.
/// </summary>
[Trait("Category", "Terminal")]
[Trait("Category", "Fault")]
public class PowerCutTests
{
    private const int TapsPerRun = 14;

    // A small checkpoint so that the run also copies the log into the data file and truncates it.
    private static readonly LedgerOptions Ledger = new() { SeqBlock = 4, CheckpointPages = 8, SeqFloorFromClock = false };

    [Fact]
    public void A_power_cut_at_every_write_loses_no_tap_whose_feedback_was_shown()
    {
        using var site = new TestSite();
        int total = Run(new PowerCutDisk(), out List<TapOutcome> full);
        Assert.Equal(TapsPerRun, full.Count);
        Assert.True(total > 50, $"a run makes {total} disk operations");

        for (int cut = 1; cut <= total; cut++)
        {
            var disk = new PowerCutDisk(cut);
            Run(disk, out List<TapOutcome> shown);
            Assert.True(disk.PowerOff, $"cut {cut}: the power went");

            // Power back: the ledger opens every time, with every shown tap in it, intact.
            PowerCutDisk after = disk.Reboot();
            using var ledger = TapLedger.Open(after.Storage(), Ledger, new FakeTimeProvider(Start));
            var kept = ledger.Records(unackedOnly: false).ToDictionary(r => r.Event.Seq, r => r.Json);
            foreach (TapOutcome o in shown)
            {
                Assert.True(kept.TryGetValue(o.Seq!.Value, out string? json), $"cut {cut}: tap {o.Seq} was shown and is lost");
                Assert.Equal(TerminalJson.Serialize(o.Event!), json);
            }

            Assert.Empty(ledger.Verify());

            // A number is never reused: the next tap after the cut is past everything seen.
            ulong highest = Math.Max(kept.Keys.DefaultIfEmpty().Max(), shown.Select(o => o.Seq!.Value).DefaultIfEmpty().Max());
            ledger.Append(highest);
        }
    }

    private static readonly DateTimeOffset Start = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Opens a ledger on the disk and taps until the run ends or the power goes; returns the operation count.</summary>
    private static int Run(PowerCutDisk disk, out List<TapOutcome> shown)
    {
        shown = [];
        using var site = new TestSite();
        PipelineRig rig;
        try
        {
            rig = new PipelineRig(site.Options, disk.Storage(), new FakeTimeProvider(Start), ledgerOptions: Ledger);
        }
        catch (IOException) when (disk.PowerOff)
        {
            return disk.Operations;
        }

        rig.Vehicle.Set("R01", "S01");
        for (int i = 0; i < TapsPerRun; i++)
        {
            rig.Time.Advance(TimeSpan.FromSeconds(11));
            TapOutcome o = rig.Tap($"04A1B2C3D4E5{i:X2}", i % 3 == 2 ? "front" : "rear");
            if (o.Verdict == Verdict.Accept)
            {
                // The pipeline shows the feedback only after the commit reached the disk.
                Assert.Equal(o.Display, rig.Display.Line);
                shown.Add(o);
            }
            else
            {
                Assert.True(disk.PowerOff, $"tap {i} refused with the power on: {o.Display}");
            }
        }

        try
        {
            rig.Dispose();
        }
        catch (IOException) when (disk.PowerOff)
        {
            // Closing after the cut writes nothing durable.
        }

        return disk.Operations;
    }
}

internal static class LedgerTestExtensions
{
    /// <summary>Appends one tap and checks its number is past <paramref name="highest"/>.</summary>
    public static void Append(this TapLedger ledger, ulong highest)
    {
        var e = ledger.Append(seq => new Contract.Messages.TapEvent
        {
            Seq = seq,
            Type = Contract.Messages.EventTypes.Board,
            At = DateTimeOffset.UnixEpoch,
            Card = new Contract.Messages.CardRef { Tok = TestSite.Token(CardTech.Iso14443A, "01020304"), Tech = "iso14443a" },
            Ctx = new Contract.Messages.TapContext { Route = "R01", Vehicle = "V1", Stop = "S01" },
        });
        Assert.True(e.Seq > highest, $"sequence number {e.Seq} reused (highest seen {highest})");
    }
}
