using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>
/// The My Number card's user-authentication PIN and signature: the emulated card answers as the JPKI AP does (tries
/// counter, lock, no signature before VERIFY), and the PN532 reader runs the flow on the card it holds after the tap.
/// </summary>
[Trait("Category", "CardAuth")]
public sealed class JpkiPinTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Serial = Convert.FromHexString("0C8F3A21");
    private static readonly byte[] SelectAp = [0x00, 0xA4, 0x04, 0x0C, 0x0A, .. MyNumberCard.JpkiAid];
    private static readonly byte[] SelectPin = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18];
    private static readonly byte[] SelectKey = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17];
    private static readonly byte[] TriesLeft = [0x00, 0x20, 0x00, 0x80];

    private readonly JpkiTestAuthority _ca = JpkiTestAuthority.Create(Start);
    private readonly JpkiUserCredential _user;

    public JpkiPinTests()
    {
        _user = _ca.IssueUserAuthentication(Serial, Start, Start.AddYears(5));
    }

    [Fact]
    public void The_card_counts_wrong_pins_locks_after_three_and_signs_only_after_verify()
    {
        var card = new MyNumberCard(_user, "4321");
        Assert.Equal(Ok, card.ProcessApdu(SelectAp));
        Assert.Equal(Ok, card.ProcessApdu(SelectPin));
        Assert.Equal(Sw(0x63C3), card.ProcessApdu(TriesLeft));
        Assert.Equal(Sw(0x63C2), card.ProcessApdu(Verify("1111")));
        Assert.Equal(Sw(0x63C2), card.ProcessApdu(TriesLeft));

        // No signature without the PIN.
        Assert.Equal(Ok, card.ProcessApdu(SelectKey));
        Assert.Equal(Sw(0x6982), card.ProcessApdu(Sign("message"u8)));

        // The right PIN resets the counter; the signature then verifies with the certificate's key.
        Assert.Equal(Ok, card.ProcessApdu(SelectPin));
        Assert.Equal(Ok, card.ProcessApdu(Verify("4321")));
        Assert.Equal(Sw(0x63C3), card.ProcessApdu(TriesLeft));
        Assert.Equal(Ok, card.ProcessApdu(SelectKey));
        byte[] answer = card.ProcessApdu(Sign("message"u8));
        Assert.Equal(Ok, answer[^2..]);
        Assert.True(VerifiesWithCertificate("message"u8.ToArray(), answer[..^2]));

        // Leaving the field forgets the verified PIN, not the counter.
        Assert.Equal(Ok, card.ProcessApdu(SelectPin));
        Assert.Equal(Sw(0x63C2), card.ProcessApdu(Verify("0000")));
        card.Reset();
        Assert.Equal(Ok, card.ProcessApdu(SelectAp));
        Assert.Equal(Ok, card.ProcessApdu(SelectKey));
        Assert.Equal(Sw(0x6982), card.ProcessApdu(Sign("message"u8)));
        Assert.Equal(Ok, card.ProcessApdu(SelectPin));
        Assert.Equal(Sw(0x63C2), card.ProcessApdu(TriesLeft));
        Assert.Equal(Sw(0x63C1), card.ProcessApdu(Verify("0001")));
        Assert.Equal(Sw(0x63C0), card.ProcessApdu(Verify("0002")));

        // Locked: even the right PIN is refused, and VERIFY without data says so.
        Assert.Equal(Sw(0x6984), card.ProcessApdu(Verify("4321")));
        Assert.Equal(Sw(0x6984), card.ProcessApdu(TriesLeft));
        Assert.Equal(0, card.PinTriesLeft);
        Assert.Equal(Ok, card.ProcessApdu(SelectKey));
        Assert.Equal(Sw(0x6982), card.ProcessApdu(Sign("message"u8)));
    }

    [Fact]
    public void A_card_made_from_a_serial_alone_has_no_pin_and_still_reads_its_serial()
    {
        var card = new MyNumberCard(MyNumberCard.CreateUserAuthenticationCertificate(Serial));
        Assert.Equal(Ok, card.ProcessApdu(SelectAp));
        Assert.Equal(Ok, card.ProcessApdu(SelectPin));
        Assert.Equal(Sw(0x6982), card.ProcessApdu(Verify("1234")));
    }

    [Theory]
    [InlineData("pn532-i2c")]
    [InlineData("pn532-spi")]
    public void The_reader_runs_the_pin_flow_on_the_held_card_and_the_signature_verifies(string kind)
    {
        using EmulatedReaderRig rig = EmulatedReaderRig.Create(kind);
        var time = new FakeTimeProvider(Start);
        using CardReader reader = Rigs.Reader(rig, time);
        var card = new MyNumberCard(_user, "4321");
        rig.Field.Place(card);
        CardRead tap = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        Assert.Equal("0C8F3A21", tap.UidHex);
        JpkiCard held = Assert.IsType<JpkiCard>(tap.Jpki);

        Assert.Equal(3, held.ReadPinTriesLeft());
        JpkiPinRefusedException wrong = Assert.Throws<JpkiPinRefusedException>(() => held.Authenticate("9999"u8, "x"u8));
        Assert.Equal(2, wrong.TriesLeft);
        Assert.Equal(2, held.ReadPinTriesLeft());
        Assert.Equal(0, card.Signatures);

        byte[] message = "reception-1|42|2026-01-11T09:00:00.123+09:00"u8.ToArray();
        JpkiProof proof = held.Authenticate("4321"u8, message);
        Assert.Equal(_user.CertificateDer, proof.Certificate);
        Assert.True(VerifiesWithCertificate(message, proof.Signature));
        Assert.Equal(3, card.PinTriesLeft);

        // Still one tap: the flow did not disturb the presence loop.
        Assert.Empty(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)).Taps());
    }

    [Fact]
    public void A_card_back_within_the_repeat_window_comes_with_the_card_so_its_pin_can_still_be_asked()
    {
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("pn532-i2c");
        var time = new FakeTimeProvider(Start);
        using CardReader reader = Rigs.Reader(rig, time);
        var card = new MyNumberCard(_user, "4321");
        rig.Field.Place(card);
        Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps());
        rig.Field.Clear();
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        rig.Field.Place(card);

        ReaderEvent again = Assert.Single(Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1)), e => e.Kind == ReaderEventKind.RepeatSuppressed);
        Assert.Equal(3, again.Card!.Jpki!.ReadPinTriesLeft());
    }

    [Fact]
    public void A_pn532_on_a_serial_line_says_it_cannot_run_the_pin_flow()
    {
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("pn532-hsu");
        var time = new FakeTimeProvider(Start);
        using CardReader reader = Rigs.Reader(rig, time);
        var card = new MyNumberCard(_user, "4321");
        rig.Field.Place(card);
        JpkiCard held = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps()).Jpki!;
        CardIOException refused = Assert.Throws<CardIOException>(() => held.ReadPinTriesLeft());
        Assert.True(refused.Rejected);
        Assert.Contains("I²C or SPI", refused.Message, StringComparison.Ordinal);
        Assert.Equal(3, card.PinTriesLeft);
    }

    [Fact]
    public void A_card_taken_away_or_swapped_after_the_tap_is_not_signed_with()
    {
        using EmulatedReaderRig rig = EmulatedReaderRig.Create("pn532-i2c");
        var time = new FakeTimeProvider(Start);
        using CardReader reader = Rigs.Reader(rig, time);
        rig.Field.Place(new MyNumberCard(_user, "4321"));
        JpkiCard held = Assert.Single(Rigs.PollUntilTap(reader, time, TimeSpan.FromSeconds(2)).Taps()).Jpki!;

        // Another patient's card put down in its place (the reader has not seen the swap yet).
        using JpkiUserCredential other = _ca.IssueUserAuthentication([0x55, 0x66], Start, Start.AddYears(5));
        var second = new MyNumberCard(other, "4321");
        rig.Field.Clear();
        rig.Field.Place(second);
        Assert.Throws<CardIOException>(() => held.Authenticate("4321"u8, "m"u8));
        Assert.Equal(0, second.Signatures);

        rig.Field.Clear();
        Assert.Throws<CardIOException>(() => held.ReadPinTriesLeft());
        Rigs.PollFor(reader, time, TimeSpan.FromSeconds(1));
        Assert.Throws<CardIOException>(() => held.ReadPinTriesLeft());
    }

    private bool VerifiesWithCertificate(byte[] message, byte[] signature)
    {
        using X509Certificate2 cert = X509CertificateLoader.LoadCertificate(_user.CertificateDer);
        using RSA key = cert.GetRSAPublicKey()!;
        return key.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static byte[] Ok => [0x90, 0x00];

    private static byte[] Sw(int sw) => [(byte)(sw >> 8), (byte)sw];

    private static byte[] Verify(string pin) => [0x00, 0x20, 0x00, 0x80, 0x04, .. System.Text.Encoding.ASCII.GetBytes(pin)];

    private static byte[] Sign(ReadOnlySpan<byte> message)
    {
        byte[] prefix = [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
        byte[] digestInfo = [.. prefix, .. SHA256.HashData(message)];
        return [0x80, 0x2A, 0x00, 0x80, (byte)digestInfo.Length, .. digestInfo, 0x00];
    }

    public void Dispose()
    {
        _user.Dispose();
        _ca.Dispose();
    }
}
