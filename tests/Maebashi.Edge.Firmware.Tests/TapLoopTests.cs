using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Firmware.Taps;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>The validator's tap loop on its own (no host on the line), with the MFRC522 emulator and a fake clock.</summary>
[Trait("Category", "Firmware")]
public sealed class TapLoopTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
    private readonly SimulatedRs485Line _line = new();

    [Fact]
    public void Without_a_verdict_in_100_ms_the_tap_is_accepted_offline_and_says_so()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        var card = new TypeACard(Uids.Make(7, 1));
        v.Present(card);
        Step(v, 50);
        Assert.Equal(TapLoopState.AwaitingVerdict, v.Firmware.Taps.State);
        Assert.False(v.Indicators.Green);

        Step(v, 99);
        Assert.Equal(TapLoopState.AwaitingVerdict, v.Firmware.Taps.State);
        Assert.Equal(0, v.Firmware.Ring.PendingCount);

        Step(v, 1);
        Assert.Equal(TapLoopState.Looking, v.Firmware.Taps.State);
        Assert.True(v.Indicators.Green);
        Assert.True(v.Indicators.Buzzer);
        Assert.Equal(FeedbackPattern.AcceptOffline, v.Firmware.Feedback.Current);

        var recorded = new TapRecord();
        Assert.True(v.Firmware.Ring.PeekOldest(recorded));
        Assert.Equal(TapDecision.Accept, recorded.Decision);
        Assert.True((recorded.Flags & TapFlags.Offline) != 0);
        Assert.Equal(Uids.Make(7, 1), recorded.Uid[..recorded.UidLength]);

        // The pattern ends: two beeps, then dark and quiet.
        Step(v, 1000);
        Assert.False(v.Indicators.Green);
        Assert.False(v.Indicators.Buzzer);
        Assert.Equal(2, v.Indicators.Beeps);
    }

    [Fact]
    public void The_same_card_within_10_seconds_is_one_tap_and_after_that_a_new_one()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        var card = new TypeACard(Uids.Make(4, 5));
        TapOffline(v, card);
        Assert.Equal(1, v.Firmware.Taps.TapsRecorded);

        Step(v, 4_000);
        TapOffline(v, card);
        Assert.Equal(1, v.Firmware.Taps.TapsRecorded);
        Assert.Equal(1, v.Firmware.Taps.RepeatsSuppressed);
        Assert.Equal(2, v.Firmware.Feedback.Played[(int)FeedbackPattern.AcceptOffline]);

        Step(v, 6_000);
        TapOffline(v, card);
        Assert.Equal(2, v.Firmware.Taps.TapsRecorded);

        // Another card inside the first card's window is its own tap.
        TapOffline(v, new TypeACard(Uids.Make(10, 6)));
        Assert.Equal(3, v.Firmware.Taps.TapsRecorded);
        Assert.Equal(3, v.Firmware.Ring.PendingCount);
    }

    [Fact]
    public void A_reader_chip_that_stops_answering_is_reset_and_the_next_card_is_read()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        v.Chip.StopAnswering(softResetRecovers: true);
        Step(v, 50);
        Step(v, 50);
        Assert.True(v.Firmware.Reader.Reinitialisations >= 1);
        Assert.True(v.Chip.IsAnswering);

        TapOffline(v, new TypeACard(Uids.Make(7, 8)));
        Assert.Equal(1, v.Firmware.Taps.TapsRecorded);
    }

    [Fact]
    public void A_chip_deaf_to_soft_reset_is_brought_back_by_a_reset_pulse()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        v.Chip.StopAnswering(softResetRecovers: false);
        Step(v, 50);
        Step(v, 50);
        Assert.Equal(1, v.Chip.HardResets);
        Assert.Equal(1, v.Firmware.Reader.HardResets);
        TapOffline(v, new TypeACard(Uids.Make(4, 9)));
        Assert.Equal(1, v.Firmware.Taps.TapsRecorded);
    }

    [Fact]
    public void A_missing_chip_shows_out_of_service_and_the_validator_recovers_when_it_answers_again()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        v.Chip.VersionValue = 0x00;
        Step(v, 50);
        Step(v, 1_000);
        Assert.Equal(TapLoopState.ChipFault, v.Firmware.Taps.State);
        Assert.True(v.Firmware.Feedback.Played[(int)FeedbackPattern.OutOfService] >= 1);
        Assert.True(v.Indicators.Red);
        Assert.False(v.Firmware.Link.ChipOk);

        v.Chip.VersionValue = 0x92;
        Step(v, 1_000);
        Assert.Equal(TapLoopState.Looking, v.Firmware.Taps.State);
        Assert.True(v.Firmware.Link.ChipOk);
        TapOffline(v, new TypeACard(Uids.Make(4, 9)));
        Assert.Equal(1, v.Firmware.Taps.TapsRecorded);
    }

    [Fact]
    public void After_a_power_cut_the_validator_resends_its_taps_and_never_reuses_a_number()
    {
        var tapFlash = new EmulatedFlash(SimulatedValidator.TapSectorSize, SimulatedValidator.TapSectorCount);
        var settingsFlash = new EmulatedFlash(4096, 2);
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time, tapFlash, settingsFlash);
        for (int i = 0; i < 5; i++)
        {
            TapOffline(v, new TypeACard(Uids.Make(7, 100 + i)));
        }

        // Power cut while the sixth tap is being written.
        tapFlash.CutPowerAt(tapFlash.Operations, 20);
        Assert.Throws<PowerCutException>(() => TapOffline(v, new TypeACard(Uids.Make(7, 200))));
        tapFlash.PowerOn();

        var restarted = new SimulatedValidator(new SimulatedRs485Line(), null, _time, tapFlash, settingsFlash);
        Assert.Equal(5, restarted.Firmware.Ring.PendingCount);
        Assert.Equal("bus-1-front", System.Text.Encoding.ASCII.GetString(restarted.Firmware.Settings.DeviceId, 0, restarted.Firmware.Settings.DeviceIdLength));
        TapOffline(restarted, new TypeACard(Uids.Make(7, 300)));
        var oldest = new TapRecord();
        Assert.True(restarted.Firmware.Ring.PeekOldest(oldest));
        Assert.Equal(1u, oldest.Seq);
        Assert.True(restarted.Firmware.Taps.LastTap.Seq > 5);
    }

    private void Step(SimulatedValidator v, int ms)
    {
        _time.Advance(TimeSpan.FromMilliseconds(ms));
        v.Step();
    }

    private void TapOffline(SimulatedValidator v, TypeACard card)
    {
        v.Present(card);
        Step(v, 50);
        Step(v, 100);
        v.Lift(card);
        Step(v, 50);
    }
}
