using System.Security.Cryptography;
using System.Text;
using Maebashi.Edge.CardAuth.Sun;

namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// An NTAG 424 DNA city card with Secure Dynamic Messaging (NXP NT4H2421Gx, AN12196): the NFC Forum Type 4 Tag
/// application (D2 76 00 00 85 01 01) with its NDEF file E104 holding a URL whose <c>e</c> and <c>c</c> parameters
/// the card fills on every read — the encrypted PICC data (UID and SDM read counter) under <c>K_meta</c> and the
/// SDMMAC under the session key from <c>K_file</c> (docs/contract.md §2). The counter rises once per activation in
/// which the file is read, as on the chip. The card holds its keys; the reader never sees them.
/// </summary>
public sealed class Ntag424DnaCard : IsoDepTypeACard
{
    private static readonly byte[] NdefApplication = [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01];

    /// <summary>Where the city's cards point (the URL is the card's printed-on-the-chip promise; only e and c matter).</summary>
    public const string UrlPrefix = "id.city.maebashi.example/c?e=";

    private readonly byte[] _metaKey;
    private readonly byte[] _fileKey;
    private (byte[] E, byte[] C)? _frozen;
    private byte[]? _file;
    private bool _applicationSelected;
    private bool _fileSelected;

    /// <param name="metaKey">The card's SDM meta-read key (<c>K_meta</c>).</param>
    /// <param name="fileKey">The card's SDM file-read key (<c>K_file</c> of its UID).</param>
    public Ntag424DnaCard(ReadOnlySpan<byte> uid, byte[] metaKey, byte[] fileKey, int readCounter = 0)
        : base(uid)
    {
        if (uid.Length != SunCrypto.UidLength)
        {
            throw new ArgumentException("an NTAG 424 DNA has a 7-byte UID", nameof(uid));
        }

        _metaKey = (byte[])metaKey.Clone();
        _fileKey = (byte[])fileKey.Clone();
        ReadCounter = readCounter;
    }

    /// <summary>A card personalised by the city under <paramref name="master"/> (keys diversified as the contract says).</summary>
    public static Ntag424DnaCard Personalised(ReadOnlySpan<byte> uid, byte[] master, int readCounter = 0) =>
        new(uid, SunKeys.MetaRead(master), SunKeys.FileRead(master, uid), readCounter);

    /// <summary>
    /// A forgery that answers like the card but always mirrors the same captured message: what a skimmer that
    /// recorded one read of the genuine card and replays it looks like.
    /// </summary>
    public static Ntag424DnaCard Replaying(ReadOnlySpan<byte> uid, byte[] encrypted, byte[] mac)
    {
        var card = new Ntag424DnaCard(uid, new byte[16], new byte[16]) { _frozen = ((byte[])encrypted.Clone(), (byte[])mac.Clone()) };
        return card;
    }

    /// <summary>SDMReadCtr: the reads mirrored so far (24 bits on the chip).</summary>
    public int ReadCounter { get; private set; }

    /// <summary>The last message mirrored, as a skimmer in passing would record it.</summary>
    public (byte[] E, byte[] C)? LastMirrored { get; private set; }

    /// <summary>
    /// The timing model's time for the READ BINARY that makes the card mirror its SUN message (an AES encryption and two
    /// CMACs on a tag powered from the field): 4 ms, an assumption of the model (<see cref="Emulation.RadioTiming"/>);
    /// every other command takes the default.
    /// </summary>
    public const double MirrorMicroseconds = 4000;

    public override double ApduProcessingMicroseconds(ReadOnlySpan<byte> apdu) =>
        apdu.Length >= 2 && apdu[0] == 0x00 && apdu[1] == 0xB0 && _fileSelected && _file is null ? MirrorMicroseconds : DefaultApduMicroseconds;

    protected override void OnActivated()
    {
        _file = null;
        _applicationSelected = false;
        _fileSelected = false;
    }

    public override byte[] ProcessApdu(ReadOnlySpan<byte> apdu)
    {
        if (apdu.Length < 4)
        {
            return [0x67, 0x00];
        }

        if (apdu[0] != 0x00)
        {
            return [0x6E, 0x00];
        }

        byte ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
        switch (ins)
        {
            case 0xA4 when p1 == 0x04: // SELECT by DF name
                _applicationSelected = apdu.Length >= 5 + NdefApplication.Length && apdu[4] == NdefApplication.Length
                    && apdu.Slice(5, NdefApplication.Length).SequenceEqual(NdefApplication);
                _fileSelected = false;
                return _applicationSelected ? [0x90, 0x00] : [0x6A, 0x82];
            case 0xA4 when p1 == 0x00: // SELECT by file identifier
                _fileSelected = _applicationSelected && apdu.Length >= 7 && apdu[4] == 2 && apdu[5] == 0xE1 && apdu[6] == 0x04;
                return _fileSelected ? [0x90, 0x00] : [0x6A, 0x82];
            case 0xB0: // READ BINARY
                if (!_fileSelected)
                {
                    return [0x69, 0x86];
                }

                byte[] file = _file ??= Mirror();
                int offset = (p1 << 8) | p2;
                int wanted = apdu.Length >= 5 ? (apdu[4] == 0 ? 256 : apdu[4]) : 256;
                if (offset >= file.Length)
                {
                    return [0x6B, 0x00];
                }

                int count = Math.Min(wanted, file.Length - offset);
                return [.. file.AsSpan(offset, count), 0x90, 0x00];
            default:
                return [0x6D, 0x00];
        }
    }

    /// <summary>The NDEF file as this read mirrors it: NLEN, then one short URI record (https://).</summary>
    private byte[] Mirror()
    {
        byte[] e, c;
        if (_frozen is { } replay)
        {
            (e, c) = replay;
        }
        else
        {
            ReadCounter++;
            e = SunCrypto.EncryptPiccData(_metaKey, Uid, ReadCounter, RandomNumberGenerator.GetBytes(5));
            c = SunCrypto.Mac(_fileKey, Uid, ReadCounter);
        }

        LastMirrored = ((byte[])e.Clone(), (byte[])c.Clone());
        byte[] uri = [0x04, .. Encoding.ASCII.GetBytes(UrlPrefix + Convert.ToHexString(e) + "&c=" + Convert.ToHexString(c))];
        // NDEF record: MB ME SR, TNF 1 (well known), type length 1, payload length, type 'U' (NFC Forum RTD URI).
        byte[] record = [0xD1, 0x01, (byte)uri.Length, (byte)'U', .. uri];
        return [(byte)(record.Length >> 8), (byte)record.Length, .. record];
    }

    public override string Describe() => $"NTAG 424 DNA {Convert.ToHexString(Uid)}{(_frozen is null ? "" : " (replaying a captured SUN message)")}";
}
