using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.IsoDep;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>
/// An NTAG 424 DNA city card read for its SUN message: the firmware core's ISO/IEC 14443-4 layer and SUN reader against
/// the emulated card's block protocol, and the real PN532 driver against the emulated chip. The reader holds no key;
/// what it reads verifies at the ingest's verifier, a copy of the UID reads no message and a replaying forgery reads
/// the captured one.
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class SunReadTests
{
    private static readonly byte[] Master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    private static readonly byte[] RegionKey = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
    private static readonly byte[] Uid = Convert.FromHexString("04C1D2E3F40517");

    [Fact]
    public void The_block_protocol_reads_a_sun_message_that_verifies_and_the_counter_rises_per_read()
    {
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master);
        SunCheck first = ReadOverBlocks(card);
        SunCheck second = ReadOverBlocks(card);
        Assert.Equal(new SunCheck(SunVerdict.Valid, 1), first);
        Assert.Equal(new SunCheck(SunVerdict.Valid, 2), second);
    }

    [Fact]
    public void A_long_answer_arrives_chained_and_waiting_time_extensions_are_granted()
    {
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master);
        card.WaitingTimeExtensions = 2;
        var air = new DirectAir(card);
        var session = new IsoDepSession(air);
        Assert.True(session.Activate());
        byte[] response = new byte[300];
        Assert.Equal(2, Exchange(session, [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01], response));
        Assert.Equal(2, Exchange(session, [0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04], response));

        // READ BINARY of the whole file (Le 0 = 256): ~100 bytes, more than one 64-byte frame holds.
        int n = Exchange(session, [0x00, 0xB0, 0x00, 0x00, 0x00], response);
        Assert.True(n > 64, $"{n} bytes");
        Assert.Equal([0x90, 0x00], response[(n - 2)..n]);
        Assert.True(air.Frames > 6, $"{air.Frames} frames");
        Assert.Contains(Ntag424DnaCard.UrlPrefix, System.Text.Encoding.ASCII.GetString(response, 0, n - 2));
    }

    [Fact]
    public void A_card_without_the_type_4_application_gives_no_message()
    {
        var other = new OtherIsoDepCard(Uid);
        var session = new IsoDepSession(new DirectAir(other));
        Assert.True(session.Activate());
        Assert.False(new SunMessageReader().TryRead(session, new byte[16], new byte[8]));
    }

    [Theory]
    [InlineData("pn532-i2c")]
    [InlineData("pn532-spi")]
    public void The_pn532_driver_reads_the_sun_message_of_a_city_card(string kind)
    {
        var time = new FakeTimeProvider();
        using EmulatedReaderRig rig = EmulatedReaderRig.Create(kind);
        rig.Field.Place(Ntag424DnaCard.Personalised(Uid, Master, readCounter: 41));
        using CardReader reader = Rigs.Reader(rig, time);
        CardRead read = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());

        Assert.Equal("04C1D2E3F40517", read.UidHex);
        Assert.NotNull(read.Sun);
        Assert.Equal(new SunCheck(SunVerdict.Valid, 42), Verify(read.Sun!));
    }

    [Fact]
    public void A_city_card_pulled_away_at_any_point_of_the_pn532_read_is_never_recorded_without_its_sun_message()
    {
        var time = new FakeTimeProvider();
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("pn532-i2c");
        Ntag424DnaCard card = Ntag424DnaCard.Personalised(Uid, Master);
        using CardReader reader = Rigs.Reader(rig, time);
        Rigs.PollFor(reader, time, TimeSpan.FromMilliseconds(100));

        // Leaving after each number of answers in turn covers the listing, the second listing and every APDU.
        int failed = 0;
        for (int answers = 0; answers <= 30; answers++)
        {
            rig.Field.Place(card);
            rig.Field.LeaveAfter(card, answers);
            List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromMilliseconds(500));
            foreach (CardRead read in events.Taps())
            {
                Assert.True(read.Sun is not null, $"leaving after {answers} answers recorded a tap without its SUN message");
                Assert.Equal(SunVerdict.Valid, Verify(read.Sun!).Verdict);
            }

            failed += events.Count(e => e.Kind == ReaderEventKind.CardFailed);
            rig.Field.Remove(card);
            // Past the repeat window: the next presentation is a new tap.
            Rigs.PollFor(reader, time, TimeSpan.FromSeconds(11));
        }

        Assert.True(failed > 0, "no presentation was cut short: the card never left during a read");
        rig.Field.Place(card);
        CardRead whole = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal(SunVerdict.Valid, Verify(whole.Sun!).Verdict);
    }

    [Fact]
    public void A_copy_of_the_uid_reads_without_a_message_and_a_replaying_forgery_reads_the_captured_one()
    {
        var time = new FakeTimeProvider();
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("pn532-i2c");
        Ntag424DnaCard genuine = Ntag424DnaCard.Personalised(Uid, Master);
        rig.Field.Place(genuine);
        using CardReader reader = Rigs.Reader(rig, time);
        CardRead original = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        rig.Field.Remove(genuine);
        // Past the repeat window: the same UID again is a new tap.
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(11));

        // A UID-changeable card with the same UID: no ISO-DEP, no SUN.
        var copy = new TypeACard(Uid, sak: 0x00);
        rig.Field.Place(copy);
        CardRead copied = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal(original.UidHex, copied.UidHex);
        Assert.Null(copied.Sun);
        rig.Field.Remove(copy);
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(11));

        // A forgery replaying what a skimmer recorded: the same message, which verifies but repeats the counter.
        (byte[] e, byte[] c) = genuine.LastMirrored!.Value;
        rig.Field.Place(Ntag424DnaCard.Replaying(Uid, e, c));
        CardRead replayed = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal(original.Sun!.EncryptedHex, replayed.Sun!.EncryptedHex);
        Assert.Equal(Verify(original.Sun), Verify(replayed.Sun));
    }

    private static SunCheck ReadOverBlocks(Ntag424DnaCard card)
    {
        card.Reset();
        var session = new IsoDepSession(new DirectAir(card));
        Assert.True(session.Activate());
        byte[] e = new byte[16], c = new byte[8];
        Assert.True(new SunMessageReader().TryRead(session, e, c));
        session.Deselect();
        return Verify(new SunMessage(e, c));
    }

    private static SunCheck Verify(SunMessage sun) =>
        new SunVerifier(CardMasterKeys.Parse(Convert.ToHexString(Master), "keys"), RegionKey)
            .Verify(CardToken.Compute(RegionKey, CardTech.Iso14443A, Uid), CardTech.Iso14443A, 0, sun.EncryptedHex, sun.MacHex);

    private static int Exchange(IsoDepSession session, byte[] apdu, byte[] response) => session.Exchange(apdu, apdu.Length, response);

    /// <summary>The air between a reader chip and a selected card: frames straight to the card's block protocol.</summary>
    private sealed class DirectAir(TypeACard card) : IFrameTransceiver
    {
        public int Frames { get; private set; }

        public int Transceive(byte[] frame, int length, byte[] answer, int timeoutMs)
        {
            Frames++;
            if (card.Respond(frame.AsSpan(0, length)) is not { FourBit: false } reply)
            {
                return -1;
            }

            reply.Data.CopyTo(answer, 0);
            return reply.Data.Length;
        }
    }

    /// <summary>Another ISO-DEP card (a transit or bank card): no NFC Forum Type 4 application.</summary>
    private sealed class OtherIsoDepCard(byte[] uid) : IsoDepTypeACard(uid)
    {
        public override byte[] ProcessApdu(ReadOnlySpan<byte> apdu) => [0x6A, 0x82];
    }
}
