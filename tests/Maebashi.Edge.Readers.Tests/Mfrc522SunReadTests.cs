using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Emulation.Mfrc522;
using Maebashi.Edge.Firmware.IsoDep;
using Maebashi.Edge.Firmware.Mfrc522;
using Maebashi.Edge.Readers.Drivers;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>
/// An NTAG 424 DNA city card on an MFRC522, which does not run ISO/IEC 14443-4 itself: the firmware core's block
/// protocol over the chip's transceive, register by register against the emulated chip, and the Pi's MFRC522 reader
/// path on every bus. The reader holds no key: what it reads verifies at the ingest's verifier, the counter rises per
/// read, a copy of the UID reads no message and a replaying forgery repeats the captured one. The SUN read's radio time
/// stays within its budget on both chips (the emulated timing model).
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class Mfrc522SunReadTests(ITestOutputHelper output)
{
    private static readonly byte[] Master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    private static readonly byte[] RegionKey = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
    private static readonly byte[] Uid = Convert.FromHexString("04C1D2E3F40517");

    [Fact]
    public void The_emulated_mfrc522_carries_rats_chained_blocks_and_waiting_time_extensions_to_the_card()
    {
        var field = new RfField();
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master);
        card.WaitingTimeExtensions = 2;
        field.Place(card);
        var chip = new Mfrc522Chip(field);
        var driver = new Mfrc522Driver(new SpiRegisterBus(new Mfrc522SpiDevice(chip)), AntennaGain.Db48);
        Assert.True(driver.Initialize());
        byte[] uid = new byte[10];
        Assert.Equal(CardReadStatus.Card, driver.TrySelectCard(false, uid, out int length, out byte sak));
        Assert.Equal(7, length);
        Assert.Equal(0x20, sak & 0x20);

        var session = new IsoDepSession(driver);
        Assert.True(session.Activate());
        Assert.Equal(64, session.Fsc);
        byte[] response = new byte[300];

        // A command longer than one 64-byte frame goes out chained (the card answers "file not found" to its name).
        byte[] longSelect = [0x00, 0xA4, 0x04, 0x0C, 0x60, .. new byte[0x60]];
        Assert.Equal(2, session.Exchange(longSelect, longSelect.Length, response));
        Assert.Equal([0x6A, 0x82], response[..2]);

        byte[] select = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01];
        Assert.Equal(2, session.Exchange(select, select.Length, response));
        byte[] file = [0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04];
        Assert.Equal(2, session.Exchange(file, file.Length, response));

        // READ BINARY of the whole file (Le 0): ~100 bytes, chained back in 64-byte frames, each after two WTX.
        byte[] read = [0x00, 0xB0, 0x00, 0x00, 0x00];
        int n = session.Exchange(read, read.Length, response);
        Assert.True(n > 64, $"{n} bytes");
        Assert.Equal([0x90, 0x00], response[(n - 2)..n]);
        Assert.Contains(Ntag424DnaCard.UrlPrefix, System.Text.Encoding.ASCII.GetString(response, 0, n - 2));

        // S(DESELECT) halts the card: a REQA no longer finds it, a WUPA does.
        session.Deselect();
        Assert.Equal(TypeAState.Halt, card.State);
        Assert.Equal(CardReadStatus.NoCard, driver.TrySelectCard(false, uid, out _, out _));
        Assert.Equal(CardReadStatus.Card, driver.TrySelectCard(true, uid, out _, out _));
    }

    [Theory]
    [InlineData("mfrc522-spi")]
    [InlineData("mfrc522-i2c")]
    [InlineData("mfrc522-uart")]
    public void The_mfrc522_reader_reads_the_sun_message_of_a_city_card_and_the_counter_rises_per_read(string kind)
    {
        var time = new FakeTimeProvider();
        using EmulatedReaderRig rig = EmulatedReaderRig.Create(kind);
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master, readCounter: 41);
        rig.Field.Place(card);
        using CardReader reader = Rigs.Reader(rig, time);
        CardRead first = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal("04C1D2E3F40517", first.UidHex);
        Assert.Equal(new SunCheck(SunVerdict.Valid, 42), Verify(first.Sun!));

        // Held on the reader: one tap, one read (the card is halted by S(DESELECT) and found again by WUPA).
        Assert.Empty(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)).Taps());
        Assert.Equal(42, card.ReadCounter);

        rig.Field.Remove(card);
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(11));
        rig.Field.Place(card);
        CardRead second = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal(new SunCheck(SunVerdict.Valid, 43), Verify(second.Sun!));
    }

    [Fact]
    public void On_the_mfrc522_a_copy_of_the_uid_reads_without_a_message_and_a_replaying_forgery_reads_the_captured_one()
    {
        var time = new FakeTimeProvider();
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("mfrc522-spi");
        Ntag424DnaCard genuine = Ntag424DnaCard.Personalised(Uid, Master);
        rig.Field.Place(genuine);
        using CardReader reader = Rigs.Reader(rig, time);
        CardRead original = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.NotNull(original.Sun);
        rig.Field.Remove(genuine);
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(11));

        // UID-changeable cards with the same UID: one without ISO-DEP, one that claims it but has no keys or application.
        foreach (TypeACard copy in new[] { new TypeACard(Uid, sak: 0x00), new TypeACard(Uid, sak: 0x20) })
        {
            rig.Field.Place(copy);
            CardRead copied = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
            Assert.Equal(original.UidHex, copied.UidHex);
            Assert.Null(copied.Sun);
            rig.Field.Remove(copy);
            Rigs.PollFor(reader, time, TimeSpan.FromSeconds(11));
        }

        (byte[] e, byte[] c) = genuine.LastMirrored!.Value;
        Ntag424DnaCard replaying = Ntag424DnaCard.Replaying(Uid, e, c);
        rig.Field.Place(replaying);
        CardRead replayed = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal(original.Sun!.EncryptedHex, replayed.Sun!.EncryptedHex);
        Assert.Equal(original.Sun.MacHex, replayed.Sun.MacHex);
        Assert.Equal(Verify(original.Sun), Verify(replayed.Sun));
    }

    [Fact]
    public void A_city_card_pulled_away_during_the_sun_read_is_a_failed_read_and_is_read_whole_when_it_comes_back()
    {
        var time = new FakeTimeProvider();
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("mfrc522-spi");
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master);
        using CardReader reader = Rigs.Reader(rig, time);
        Rigs.PollFor(reader, time, TimeSpan.FromMilliseconds(100));

        // ATQA, two anticollision and two select answers, then the ATS and one APDU answer: gone mid-read.
        rig.Field.Place(card);
        rig.Field.LeaveAfter(card, 7);
        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromMilliseconds(500));
        Assert.Contains(events, e => e.Kind == ReaderEventKind.CardFailed);
        Assert.Empty(events.Taps());

        rig.Field.Place(card);
        CardRead read = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal(SunVerdict.Valid, Verify(read.Sun!).Verdict);
    }

    [Theory]
    [InlineData("mfrc522-spi")]
    [InlineData("pn532-i2c")]
    public void The_sun_read_adds_at_most_30_ms_of_radio_time(string kind)
    {
        TimeSpan added = EmulatedReaderRig.SunReadAirTime(kind);
        output.WriteLine($"{kind}: the SUN read adds {added.TotalMilliseconds:F2} ms of radio time");
        Assert.InRange(added.TotalMilliseconds, 1, 30);
    }

    private static SunCheck Verify(SunMessage sun) =>
        new SunVerifier(CardMasterKeys.Parse(Convert.ToHexString(Master), "keys"), RegionKey)
            .Verify(CardToken.Compute(RegionKey, CardTech.Iso14443A, Uid), CardTech.Iso14443A, 0, sun.EncryptedHex, sun.MacHex);
}
