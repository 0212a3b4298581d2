using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Firmware.Taps;
using Maebashi.Edge.ValidatorLink;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>
/// NTAG 424 DNA city cards at a door validator: the firmware core reads the SUN message through its own ISO/IEC 14443-4
/// layer over the MFRC522 driver (no key on the validator), keeps it in the flash record and sends it with the tap; the
/// host's link reads it out. A copy of the UID carries none, a replaying forgery its captured one. Frames of firmware
/// 1.0 (no SUN) still read.
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class SunTapTests(ITestOutputHelper output) : IDisposable
{
    private readonly ITestOutputHelper _output = output;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly byte[] Master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    private static readonly byte[] RegionKey = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
    private static readonly byte[] Uid = Convert.FromHexString("04C1D2E3F40517");
    private readonly RecordingTapHandler _handler = new();
    private readonly SimulatedRs485Line _line = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _handler.Dispose();

    [Fact]
    public async Task A_city_card_is_read_for_its_sun_message_which_reaches_the_host_and_verifies_with_a_counter_rising_per_tap()
    {
        var validator = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, Doors.Front), _time);
        var options = new ValidatorLinkOptions { ResponseTimeout = TimeSpan.FromMilliseconds(40) };
        options.Addresses.Remove(2);
        var master = new ValidatorLinkMaster(_line.OpenHostPort(), options, _handler);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Link.ClockSynced), Patience, "validator configured");

        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master, readCounter: 9);
        await TapWithVerdictAsync(master, validator, card);
        validator.Step();
        Assert.True(validator.Indicators.Green);
        _time.Advance(TimeSpan.FromSeconds(11));
        await TapWithVerdictAsync(master, validator, card);
        validator.Step();
        await _handler.WaitForStoredAsync(2, Patience);
        await stop.CancelAsync();
        await run;

        Assert.Equal([10, 11], _handler.Stored.Select(t => Verify(t.Sun!)).Select(c => c.Counter));
        Assert.All(_handler.Stored, t => Assert.Equal(SunVerdict.Valid, Verify(t.Sun!).Verdict));
        Assert.Equal(Uid, _handler.Stored[0].Uid);
        (byte[] e, byte[] c) = card.LastMirrored!.Value;
        Assert.Equal(e, _handler.Stored[1].Sun!.Encrypted);
        Assert.Equal(c, _handler.Stored[1].Sun!.Mac);
    }

    [Fact]
    public void A_copy_of_the_uid_is_recorded_without_a_message_and_a_replaying_forgery_with_the_captured_one()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        Ntag424DnaCard genuine = Ntag424DnaCard.Personalised(Uid, Master);
        TapRecord original = TapOffline(v, genuine);
        Assert.True(original.HasSun);

        TapRecord copied = TapOffline(v, new TypeACard(Uid, sak: 0x00));
        Assert.False(copied.HasSun);
        Assert.Equal(Uid, copied.Uid[..copied.UidLength]);

        // A copy that claims ISO/IEC 14443-4 but has no application (and no keys): RATS goes unanswered, no message.
        TapRecord claiming = TapOffline(v, new TypeACard(Uid, sak: 0x20));
        Assert.False(claiming.HasSun);

        (byte[] e, byte[] c) = genuine.LastMirrored!.Value;
        TapRecord replayed = TapOffline(v, Ntag424DnaCard.Replaying(Uid, e, c));
        Assert.True(replayed.HasSun);
        Assert.Equal(original.SunEncrypted, replayed.SunEncrypted);
        Assert.Equal(original.SunMac, replayed.SunMac);
        Assert.Equal(4, v.Firmware.Taps.TapsRecorded);
    }

    [Fact]
    public void The_sun_message_survives_a_restart_in_the_flash_record_and_a_later_tap_without_one_carries_none()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        Ntag424DnaCard genuine = Ntag424DnaCard.Personalised(Uid, Master, readCounter: 30);
        TapOffline(v, genuine);
        TapOffline(v, new TypeACard(Convert.FromHexString("04AABBCCDDEEFF"), sak: 0x00));

        var restarted = new SimulatedValidator(new SimulatedRs485Line(), null, _time, v.TapFlash, v.SettingsFlash);
        var first = new TapRecord();
        Assert.True(restarted.Firmware.Ring.PeekOldest(first));
        Assert.True(first.HasSun);
        Assert.Equal(new SunCheck(SunVerdict.Valid, 31), Verify(new ValidatorSun(first.SunEncrypted, first.SunMac)));
        restarted.Firmware.Ring.AcknowledgeUpTo(first.Seq);
        var second = new TapRecord();
        Assert.True(restarted.Firmware.Ring.PeekOldest(second));
        Assert.False(second.HasSun);
    }

    [Fact]
    public void A_city_card_lost_during_the_read_is_no_tap_and_is_read_whole_when_it_comes_back()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master);
        v.Present(card);
        // ATQA, two anticollision and two select answers, the ATS, one APDU answer: then gone.
        v.Field.LeaveAfter(card, 7);
        Step(v, 50);
        Assert.Equal(TapLoopState.Looking, v.Firmware.Taps.State);
        Assert.Equal(1, v.Firmware.Taps.SunReadsBroken);
        Assert.False(v.Indicators.Green);

        TapRecord recorded = TapOffline(v, card);
        Assert.True(recorded.HasSun);
        Assert.Equal(1, v.Firmware.Taps.TapsRecorded);
    }

    [Fact]
    public void A_city_card_tap_on_the_validator_takes_at_most_30_ms_of_radio_time_select_and_sun_read_included()
    {
        var v = new SimulatedValidator(_line, new ValidatorSpec("bus-1-front", 1, 1), _time);
        Step(v, 50);
        v.Present(Ntag424DnaCard.Personalised(Uid, Master));
        TimeSpan before = v.Field.AirTime;
        Step(v, TapLoop.PollIntervalMs);
        Assert.True(v.Firmware.Taps.LastTap.HasSun);
        double ms = (v.Field.AirTime - before).TotalMilliseconds;
        _output.WriteLine($"validator: a city card's tap takes {ms:F2} ms on the air (timing model)");
        Assert.InRange(ms, 1, 30);
    }

    [Fact]
    public void The_host_reads_a_tap_frame_of_firmware_1_0_and_refuses_one_that_announces_a_sun_message_it_lacks()
    {
        var tap = new TapRecord { Seq = 7, UnixMs = 1_780_000_000_000, Door = 1, Decision = TapDecision.Accept, UidLength = 7 };
        Uid.CopyTo(tap.Uid, 0);
        byte[] v10 = TapFrame(tap, sunBytes: 0);
        Assert.True(LinkFrames.TryReadTap(Decode(v10), "bus-1-front", out ValidatorTap old));
        Assert.Null(old.Sun);
        Assert.Equal(Uid, old.Uid);

        tap.Flags = TapFlags.Sun;
        Assert.False(LinkFrames.TryReadTap(Decode(TapFrame(tap, sunBytes: 10)), "bus-1-front", out _));
        Assert.True(LinkFrames.TryReadTap(Decode(TapFrame(tap, sunBytes: 24)), "bus-1-front", out ValidatorTap withSun));
        Assert.NotNull(withSun.Sun);
    }

    /// <summary>A Tap frame as a validator of that firmware builds it: the 1.0 payload, then <paramref name="sunBytes"/> of e and c.</summary>
    private static byte[] TapFrame(TapRecord tap, int sunBytes)
    {
        byte[] raw = new byte[LinkProtocol.MaxRaw + 8];
        int p = LinkProtocol.PutHeader(raw, 1, MessageType.Tap, FrameFlags.FromValidator, 1, 0);
        Bytes.PutU32(raw, p, tap.Seq);
        Bytes.PutI64(raw, p + 4, tap.UnixMs);
        raw[p + 12] = tap.Door;
        raw[p + 13] = (byte)tap.Decision;
        raw[p + 14] = (byte)tap.Flags;
        raw[p + 15] = (byte)tap.Reason;
        Bytes.PutU16(raw, p + 16, tap.FareYen);
        raw[p + 18] = (byte)tap.UidLength;
        tap.Uid.AsSpan(0, tap.UidLength).CopyTo(raw.AsSpan(p + 19));
        int n = p + 19 + tap.UidLength + sunBytes;
        byte[] wire = new byte[LinkProtocol.MaxEncoded + 8];
        return wire[..LinkProtocol.Seal(raw, n, wire)];
    }

    private static LinkFrame Decode(byte[] wire)
    {
        var decoder = new FrameDecoder();
        foreach (byte b in wire)
        {
            if (decoder.Push(b))
            {
                return new LinkFrame(decoder.Frame, decoder.Length);
            }
        }

        throw new InvalidOperationException("no frame");
    }

    private static SunCheck Verify(ValidatorSun sun) =>
        new SunVerifier(CardMasterKeys.Parse(Convert.ToHexString(Master), "keys"), RegionKey)
            .Verify(CardToken.Compute(RegionKey, CardTech.Iso14443A, Uid), CardTech.Iso14443A, 0, sun.EncryptedHex, sun.MacHex);

    private async Task TapWithVerdictAsync(ValidatorLinkMaster master, SimulatedValidator validator, TypeACard card)
    {
        validator.Present(card);
        _time.Advance(TimeSpan.FromMilliseconds(TapLoop.PollIntervalMs));
        validator.Step();
        Assert.Equal(TapLoopState.AwaitingVerdict, validator.Firmware.Taps.State);
        await FrameWait.UntilAsync(master, () => validator.Inspect(f => f.Link.HasVerdict), Patience, "verdict at the validator");
        validator.Lift(card);
    }

    /// <summary>A tap with no host on the line (accepted offline after 100 ms); the record as written to flash.</summary>
    private TapRecord TapOffline(SimulatedValidator v, TypeACard card)
    {
        v.Present(card);
        Step(v, 50);
        Step(v, 100);
        v.Lift(card);
        Step(v, 11_000);
        var last = new TapRecord();
        last.CopyFrom(v.Firmware.Taps.LastTap);
        return last;
    }

    private void Step(SimulatedValidator v, int ms)
    {
        _time.Advance(TimeSpan.FromMilliseconds(ms));
        v.Step();
    }
}
