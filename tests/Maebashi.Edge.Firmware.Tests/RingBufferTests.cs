using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Firmware.Storage;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>The flash ring buffer of unacknowledged taps, on emulated NOR flash with power cuts.</summary>
[Trait("Category", "Firmware")]
public sealed class RingBufferTests
{
    // Small partition so a short scenario wraps the ring several times: 6 sectors of 4 records.
    private const int SectorSize = 4 * TapRingBuffer.RecordSize;
    private const int Sectors = 6;
    private const int Taps = 60;

    [Fact]
    public void A_power_cut_at_any_write_or_erase_leaves_every_tap_shown_to_a_passenger_recoverable()
    {
        long operations = RunScenario(new EmulatedFlash(SectorSize, Sectors), out _, out _, out _);
        Assert.True(operations > 3 * Taps, "the scenario writes, acks and erases");

        int cuts = 0;
        foreach (int torn in new[] { 0, 1, 7, 31, 61, 64 })
        {
            for (long cutAt = 0; cutAt < operations; cutAt++)
            {
                var flash = new EmulatedFlash(SectorSize, Sectors);
                flash.CutPowerAt(cutAt, torn);
                RunScenario(flash, out List<TapRecord> shown, out uint ackedUpTo, out TapRecord? inFlight);
                cuts++;

                flash.PowerOn();
                var ring = new TapRingBuffer(flash);
                ring.Mount();
                List<TapRecord> recovered = Drain(ring);

                // Every tap the passenger got feedback for and the host had not acknowledged is there, unchanged, in order.
                List<TapRecord> owed = [.. shown.Where(t => t.Seq > ackedUpTo)];
                List<TapRecord> unexpected = [.. recovered.Where(r => !shown.Any(s => s.SameContent(r)) && !(inFlight?.SameContent(r) ?? false))];
                Assert.True(unexpected.Count == 0, $"cut at op {cutAt} torn {torn}: recovered a tap never written");
                foreach (TapRecord t in owed)
                {
                    Assert.True(recovered.Any(r => r.SameContent(t)), $"cut at op {cutAt} torn {torn}: tap {t.Seq} lost");
                }

                Assert.True(recovered.Zip(recovered.Skip(1)).All(p => p.First.Seq < p.Second.Seq), $"cut at op {cutAt}: not oldest first");

                // Sequence numbers continue above every tap recorded before the cut (a tap whose record the cut tore was
                // never recorded nor shown, so its number may be given again).
                uint highest = shown.Count == 0 ? 0 : shown.Max(t => t.Seq);
                uint next = ring.NextSeq();
                Assert.True(next > highest, $"cut at op {cutAt} torn {torn}: next seq {next} after {highest}");
            }
        }

        Assert.True(cuts > 1000);
    }

    [Fact]
    public void The_ring_refuses_a_tap_when_full_and_overwrites_nothing()
    {
        var ring = new TapRingBuffer(new EmulatedFlash(SectorSize, Sectors));
        ring.Mount();
        Assert.Equal((Sectors - 1) * 4, ring.Capacity);
        int written = 0;
        while (written < 100 && ring.TryAppend(Tap(ring.NextSeq())))
        {
            written++;
        }

        Assert.InRange(written, ring.Capacity, Sectors * 4);
        var oldest = new TapRecord();
        Assert.True(ring.PeekOldest(oldest));
        Assert.Equal(1u, oldest.Seq);

        ring.AcknowledgeUpTo(4);
        Assert.True(ring.TryAppend(Tap(ring.NextSeq())));
    }

    [Fact]
    public void The_shipped_partition_holds_over_4000_unacknowledged_taps()
    {
        var flash = new EmulatedFlash(SimulatedValidator.TapSectorSize, SimulatedValidator.TapSectorCount);
        var ring = new TapRingBuffer(flash);
        ring.Mount();
        Assert.Equal(256 * 1024, SimulatedValidator.TapSectorSize * SimulatedValidator.TapSectorCount);
        Assert.Equal(4032, ring.Capacity);
        for (int i = 0; i < 4032; i++)
        {
            Assert.True(ring.TryAppend(Tap(ring.NextSeq())));
        }

        var remounted = new TapRingBuffer(flash);
        remounted.Mount();
        Assert.Equal(4032, remounted.PendingCount);
        var oldest = new TapRecord();
        Assert.True(remounted.PeekOldest(oldest));
        Assert.Equal(1u, oldest.Seq);
    }

    /// <summary>Taps, with the host acknowledging in bursts, until the emulated power fails (or the end).</summary>
    private static long RunScenario(EmulatedFlash flash, out List<TapRecord> shown, out uint ackedUpTo, out TapRecord? inFlight)
    {
        shown = [];
        ackedUpTo = 0;
        inFlight = null;
        try
        {
            var ring = new TapRingBuffer(flash);
            ring.Mount();
            for (int i = 0; i < Taps; i++)
            {
                TapRecord tap = Tap(ring.NextSeq());
                inFlight = tap;
                if (ring.TryAppend(tap))
                {
                    shown.Add(tap);
                }

                inFlight = null;
                if (i % 3 == 2)
                {
                    // The host acknowledged up to two taps back (its ack arrives after a few polls): from then on the host
                    // holds them, so marking them in flash may be cut short.
                    uint upTo = tap.Seq - 2;
                    ackedUpTo = upTo;
                    ring.AcknowledgeUpTo(upTo);
                }
            }
        }
        catch (PowerCutException)
        {
        }

        return flash.Operations;
    }

    private static List<TapRecord> Drain(TapRingBuffer ring)
    {
        var list = new List<TapRecord>();
        var t = new TapRecord();
        while (ring.PeekOldest(t))
        {
            var copy = new TapRecord();
            copy.CopyFrom(t);
            list.Add(copy);
            ring.AcknowledgeUpTo(t.Seq);
        }

        return list;
    }

    private static TapRecord Tap(uint seq)
    {
        var t = new TapRecord
        {
            Seq = seq,
            UnixMs = 1_780_000_000_000 + (seq * 1000),
            Door = (byte)(1 + (seq % 2)),
            Decision = seq % 5 == 0 ? TapDecision.Deny : TapDecision.Accept,
            Flags = seq % 2 == 0 ? TapFlags.Offline : TapFlags.None,
            FareYen = (int)(seq % 400),
            UidLength = 7,
        };
        byte[] uid = Uids.Make(7, (int)seq);
        uid.CopyTo(t.Uid, 0);
        return t;
    }
}
