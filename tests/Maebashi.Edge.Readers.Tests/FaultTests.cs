using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>Each injected fault has an outcome a passenger or technician would notice, and none stops the reader.</summary>
[Trait("Category", "Readers")]
public sealed class FaultTests
{
    [Theory]
    [InlineData("mfrc522-spi", "typeA-7")]
    [InlineData("mfrc522-i2c", "typeA-10")]
    [InlineData("pn532-i2c", "typeA-4")]
    [InlineData("pn532-spi", "mynumber")]
    [InlineData("pn532-hsu", "felica-212-424")]
    public void Bit_errors_on_air_give_a_retried_tap(string kind, string cardName)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        var (tech, make, uid) = Rigs.Cards[cardName];
        VirtualCard card = make();
        // The first answers come back with a flipped bit: a BCC/CRC failure or a garbled frame.
        rig.Field.CorruptNextAnswers(2);
        rig.Field.Place(card);

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2));

        CardRead tap = Assert.Single(events.Taps());
        Assert.Equal(uid, tap.UidHex);
        Assert.Equal(tech, tap.Tech);
        Assert.True(reader.Health.Working);
        Assert.Equal(0, reader.Health.Resets);
    }

    [Fact]
    public void Crc_failure_in_a_mifare_read_is_reported_by_the_binding()
    {
        // The MFRC522 binding checks the CRC_A of a block it reads: a corrupted answer is -1.
        var field = new RfField();
        var classic = new MifareClassic1KCard([0xDE, 0xAD, 0xBE, 0xEF]);
        field.Place(classic);
        using var mfrc = new Iot.Device.Mfrc522.MfRc522(new Emulation.Mfrc522.Mfrc522SpiDevice(new Emulation.Mfrc522.Mfrc522Chip(field)));
        Assert.True(mfrc.ListenToCardIso14443TypeA(out var data, TimeSpan.Zero));
        var card = new Iot.Device.Card.Mifare.MifareCard(mfrc, 0) { BlockNumber = 4, Command = Iot.Device.Card.Mifare.MifareCardCommand.AuthenticationA, KeyA = MifareClassic1KCard.DefaultKey, SerialNumber = data.NfcId, ReselectAfterError = false };
        Assert.True(card.RunMifareCardCommand() >= 0);
        field.CorruptNextAnswers(1);
        card.Command = Iot.Device.Card.Mifare.MifareCardCommand.Read16Bytes;
        Assert.True(card.RunMifareCardCommand() < 0);
    }

    [Theory]
    [InlineData("pn532-i2c", 3)]
    [InlineData("pn532-spi", 5)]
    [InlineData("pn532-hsu", 4)]
    public void My_number_card_leaving_mid_read_gives_no_tap_then_a_tap_when_it_returns(string kind, int answersBeforeLeaving)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        VirtualCard card = Rigs.Cards["mynumber"].Make();
        rig.Field.Place(card);
        // Listing answers once; the APDUs follow; the card is pulled away during READ BINARY.
        rig.Field.LeaveAfter(card, answersBeforeLeaving);

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2));
        Assert.Empty(events.Taps());
        Assert.Contains(events, e => e.Kind == ReaderEventKind.CardFailed && e.Message.Contains("Please tap again", StringComparison.Ordinal));
        Assert.True(reader.Health.Working);

        rig.Field.Place(card);
        events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2));
        Assert.Equal("0C8F3A21", Assert.Single(events.Taps()).UidHex);
    }

    [Theory]
    [InlineData("mfrc522-spi", 1)]
    [InlineData("mfrc522-i2c", 3)]
    [InlineData("pn532-i2c", 0)]
    public void Type_a_card_leaving_mid_anticollision_gives_no_tap(string kind, int answersBeforeLeaving)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        VirtualCard card = Rigs.Cards["typeA-10"].Make();
        rig.Field.Place(card);
        rig.Field.LeaveAfter(card, answersBeforeLeaving);

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2));

        Assert.Empty(events.Taps());
        Assert.Empty(rig.Field.Cards);
        Assert.True(reader.Health.Working);
        Assert.Equal(ReaderState.WaitForCard, reader.State);
    }

    [Theory]
    [InlineData("mfrc522-spi", "typeA-4", "typeA-7")]
    [InlineData("mfrc522-uart", "classic1k-4", "typeA-4")]
    [InlineData("pn532-i2c", "typeA-7", "typeA-10")]
    [InlineData("pn532-spi", "felica-212-424", "typeA-4")]
    [InlineData("pn532-hsu", "mynumber", "felica-212-only")]
    public void Two_cards_in_the_field_give_no_tap_and_one_card_at_a_time(string kind, string firstName, string secondName)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        VirtualCard first = Rigs.Cards[firstName].Make();
        VirtualCard second = Rigs.Cards[secondName].Make();
        rig.Field.Place(first);
        rig.Field.Place(second);

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));

        Assert.Empty(events.Taps());
        ReaderEvent crowd = Assert.Single(events, e => e.Kind == ReaderEventKind.OneCardAtATime);
        Assert.Equal("カードは1枚ずつ / One card at a time", crowd.Message);

        // Taking one away leaves one card alone in the field: it is read.
        rig.Field.Remove(second);
        events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        Assert.Equal(Rigs.Cards[firstName].Uid, Assert.Single(events.Taps()).UidHex);
    }

    [Fact]
    public void Two_cards_with_the_same_first_uid_bytes_still_collide_at_the_next_cascade_level()
    {
        using var rig = EmulatedReaderRig.Create("mfrc522-spi");
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(new TypeACard(Convert.FromHexString("04A1B2C3D4E5F6")));
        rig.Field.Place(new TypeACard(Convert.FromHexString("04A1B2FFFFFFFF")));

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));

        Assert.Empty(events.Taps());
        Assert.Contains(events, e => e.Kind == ReaderEventKind.OneCardAtATime);
    }

    public static TheoryData<string, bool> StoppedChips() => new()
    {
        { "mfrc522-spi", true },
        { "mfrc522-spi", false },
        { "mfrc522-i2c", true },
        { "mfrc522-uart", true },
        { "pn532-i2c", true },
        { "pn532-spi", true },
        { "pn532-hsu", true },
    };

    [Theory]
    [MemberData(nameof(StoppedChips))]
    public void Reader_that_stops_answering_is_detected_within_2_s_reinitialised_and_counted(string kind, bool wireReset)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time, wireReset);
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        Assert.True(reader.Health.Working);
        int hardResetsBefore = rig.HardResets;

        rig.StopAnswering(softResetRecovers: true);
        DateTimeOffset stoppedAt = time.GetUtcNow();
        DateTimeOffset? detectedAt = null;
        List<ReaderEvent> events = [];
        for (int i = 0; i < 30 && detectedAt is null; i++)
        {
            if (reader.Poll() is { } happened)
            {
                events.Add(happened);
                if (happened.Kind == ReaderEventKind.ReaderFailed)
                {
                    detectedAt = time.GetUtcNow();
                }
            }

            time.Advance(reader.Settings.PollInterval);
        }

        Assert.NotNull(detectedAt);
        Assert.True(detectedAt - stoppedAt <= TimeSpan.FromSeconds(2), $"detected after {detectedAt - stoppedAt}");
        Assert.NotNull(reader.Health.LastError);

        // Re-initialised: by the reset pin when wired, else a soft reset and a new driver.
        events.AddRange(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2)));
        Assert.Contains(events, e => e.Kind == ReaderEventKind.ReaderRecovered);
        Assert.True(reader.Health.Working);
        Assert.True(reader.Health.Resets >= 1);
        Assert.True(rig.IsAnswering);
        if (wireReset)
        {
            Assert.True(rig.HardResets > hardResetsBefore);
        }
        else
        {
            Assert.Equal(hardResetsBefore, rig.HardResets);
        }

        // And it reads cards again.
        rig.Field.Place(Rigs.Cards["typeA-7"].Make());
        Assert.Single(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)).Taps());
    }

    [Theory]
    [InlineData("pn532-i2c")]
    [InlineData("mfrc522-spi")]
    [InlineData("mfrc522-i2c")]
    public void Reader_that_cannot_be_brought_back_stays_failed_without_crashing(string kind)
    {
        using var rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider();
        // No reset pin, and a chip that a soft reset does not revive.
        using CardReader reader = Rigs.Reader(rig, time, wireReset: false);
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        rig.StopAnswering(softResetRecovers: false);
        rig.Field.Place(Rigs.Cards["typeA-4"].Make());

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(10));

        Assert.Single(events, e => e.Kind == ReaderEventKind.ReaderFailed);
        Assert.Empty(events.Taps());
        ReaderHealth health = reader.Health;
        Assert.False(health.Working);
        Assert.Equal(ReaderState.WaitForStart, health.State);
        Assert.True(health.Resets >= 2, $"resets {health.Resets}");
        Assert.True(health.Failures >= 2);
        Assert.NotNull(health.LastError);
    }

    [Theory]
    [InlineData(0x12)]
    [InlineData(0x00)]
    public void Clone_mfrc522_versions_are_flagged_and_still_read(byte version)
    {
        using var rig = EmulatedReaderRig.Create("mfrc522-spi", mfrc522Version: version);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(Rigs.Cards["typeA-4"].Make());

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));

        Assert.Single(events.Taps());
        Assert.Contains("clone", reader.Health.ChipWarning, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Genuine_mfrc522_has_no_chip_warning()
    {
        using var rig = EmulatedReaderRig.Create("mfrc522-i2c", mfrc522Version: 0x91);
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        Rigs.PollFor(reader, time, TimeSpan.FromMilliseconds(200));
        Assert.Null(reader.Health.ChipWarning);
        Assert.True(reader.Health.Working);
    }

    [Fact]
    public void A_type_b_card_that_is_not_a_my_number_card_is_turned_away_once()
    {
        using var rig = EmulatedReaderRig.Create("pn532-i2c");
        var time = new FakeTimeProvider();
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(new ForeignTypeBCard());

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(3));

        Assert.Empty(events.Taps());
        Assert.Single(events, e => e.Kind == ReaderEventKind.CardFailed);
        Assert.True(reader.Health.Working);
    }

    [Fact]
    public async Task Reader_loop_survives_every_fault_and_keeps_delivering_taps()
    {
        using var rig = EmulatedReaderRig.Create("pn532-i2c");
        var settings = new ReaderSettings { PollInterval = TimeSpan.FromMilliseconds(5), RecoveryBackoff = TimeSpan.FromMilliseconds(20), ProbeInterval = TimeSpan.FromMilliseconds(50) };
        using CardReader reader = Rigs.Reader(rig, TimeProvider.System, wireReset: true, settings);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using IAsyncEnumerator<ReaderEvent> events = reader.ReadEventsAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        async Task<ReaderEvent> Next(ReaderEventKind kind)
        {
            while (await events.MoveNextAsync())
            {
                if (events.Current.Kind == kind)
                {
                    return events.Current;
                }
            }

            throw new TimeoutException($"no {kind} event");
        }

        VirtualCard a = Rigs.Cards["typeA-7"].Make();
        rig.Field.Place(a);
        Assert.Equal("04A1B2C3D4E5F6", (await Next(ReaderEventKind.Tap)).Card!.UidHex);
        rig.Field.Remove(a);

        rig.Field.Place(Rigs.Cards["typeA-4"].Make());
        VirtualCard extra = Rigs.Cards["felica-212-424"].Make();
        rig.Field.Place(extra);
        await Next(ReaderEventKind.OneCardAtATime);
        rig.Field.Clear();

        rig.StopAnswering();
        await Next(ReaderEventKind.ReaderFailed);
        await Next(ReaderEventKind.ReaderRecovered);

        VirtualCard myNumber = Rigs.Cards["mynumber"].Make();
        rig.Field.Place(myNumber);
        rig.Field.LeaveAfter(myNumber, 3);
        await Next(ReaderEventKind.CardFailed);
        rig.Field.Place(myNumber);
        Assert.Equal("0C8F3A21", (await Next(ReaderEventKind.Tap)).Card!.UidHex);
        Assert.False(stop.IsCancellationRequested);
    }

    /// <summary>A Type B card without the JPKI application (e.g. a foreign transit card).</summary>
    private sealed class ForeignTypeBCard() : TypeBCard([9, 9, 9, 9])
    {
        public override byte[] ProcessApdu(ReadOnlySpan<byte> apdu) => [0x6A, 0x82];

        public override void Reset()
        {
        }

        public override string Describe() => "foreign Type B card";
    }
}
