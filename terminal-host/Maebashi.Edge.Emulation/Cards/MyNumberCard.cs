using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// A My Number card (個人番号カード) at the JPKI application (公的個人認証 AP), as J-LIS's 公的個人認証サービス
/// 利用者クライアントソフト API 仕様 and the card application interface describe it for user authentication:
/// <list type="bullet">
/// <item>SELECT the JPKI AP (AID D3 92 F0 00 26 01 00 00 00 01), then SELECT an EF by its id (P1 02);</item>
/// <item>EF 00 0A, the user-authentication certificate: READ BINARY in chunks, no PIN needed;</item>
/// <item>EF 00 18, the user-authentication PIN (4 digits, 3 tries): VERIFY <c>00 20 00 80 04 PIN</c> answers 90 00,
/// 63 Cx (wrong, x tries left) or 69 84 (blocked); VERIFY with no data answers 63 Cx, the tries left, and changes
/// nothing;</item>
/// <item>EF 00 17, the user-authentication private key: COMPUTE DIGITAL SIGNATURE <c>80 2A 00 80 Lc DigestInfo 00</c>
/// answers the RSA PKCS#1 v1.5 signature of the DigestInfo, only after a successful VERIFY in this session (69 82
/// otherwise).</item>
/// </list>
/// The signing certificate (EF 00 01) answers 69 82 (its own PIN is not emulated). The tries counter and the lock
/// survive leaving the field; the verified state does not. The card built from a serial alone
/// (<see cref="MyNumberCard(byte[], ReadOnlySpan{byte})"/>) has no key: its certificate reads, VERIFY answers 69 82.
/// </summary>
public sealed class MyNumberCard : TypeBCard
{
    public static readonly byte[] JpkiAid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    /// <summary>EF of the user-authentication certificate (利用者証明用電子証明書).</summary>
    public const ushort UserAuthenticationCertificateEf = 0x000A;

    /// <summary>EF of the CA certificate for user authentication.</summary>
    public const ushort UserAuthenticationCaEf = 0x000B;

    /// <summary>EF of the signing certificate (署名用電子証明書), PIN-protected.</summary>
    public const ushort SigningCertificateEf = 0x0001;

    /// <summary>EF of the user-authentication PIN (利用者証明用パスワード).</summary>
    public const ushort UserAuthenticationPinEf = 0x0018;

    /// <summary>EF of the user-authentication private key.</summary>
    public const ushort UserAuthenticationKeyEf = 0x0017;

    /// <summary>Tries of the user-authentication PIN before it locks (JPKI: 3).</summary>
    public const int PinTries = 3;

    /// <summary>The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1): the hash follows.</summary>
    private static readonly byte[] Sha256DigestInfoPrefix =
        [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

    private readonly byte[] _userAuthCertificate;
    private readonly RSA? _key;
    private readonly byte[]? _pin;
    private bool _jpkiSelected;
    private ushort? _selectedEf;
    private bool _verified;

    public MyNumberCard(byte[] userAuthenticationCertificateDer, ReadOnlySpan<byte> pupi = default)
        : base(pupi.IsEmpty ? RandomNumberGenerator.GetBytes(4) : pupi)
    {
        ArgumentNullException.ThrowIfNull(userAuthenticationCertificateDer);
        _userAuthCertificate = (byte[])userAuthenticationCertificateDer.Clone();
    }

    /// <summary>
    /// A personalised card: the credential's certificate and private key (the card signs with it; the key never
    /// leaves the card) and a 4-digit user-authentication PIN.
    /// </summary>
    public MyNumberCard(JpkiUserCredential credential, string pin, ReadOnlySpan<byte> pupi = default)
        : this(credential?.CertificateDer ?? throw new ArgumentNullException(nameof(credential)), pupi)
    {
        if (pin is not { Length: 4 } || !pin.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("the user-authentication PIN has 4 digits", nameof(pin));
        }

        _key = credential.PrivateKey;
        _pin = System.Text.Encoding.ASCII.GetBytes(pin);
        PinTriesLeft = PinTries;
    }

    /// <summary>APDUs the card has answered (tests check the reader's sequence with it).</summary>
    public int ApduCount { get; private set; }

    /// <summary>Tries left of the user-authentication PIN; 0 is locked (only the city office resets it).</summary>
    public int PinTriesLeft { get; private set; }

    /// <summary>Signatures the card has made.</summary>
    public int Signatures { get; private set; }

    public override void Reset()
    {
        _jpkiSelected = false;
        _selectedEf = null;
        _verified = false;
    }

    public override byte[] ProcessApdu(ReadOnlySpan<byte> apdu)
    {
        ApduCount++;
        if (apdu.Length < 4)
        {
            return [0x67, 0x00];
        }

        byte cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
        switch (cla, ins)
        {
            case (0x00, 0xA4):
                return Select(p1, apdu[4..]);
            case (0x00, 0xB0):
                return ReadBinary(p1, p2, apdu.Length > 4 ? apdu[4] : (byte)0);
            case (0x00, 0x20):
                return Verify(p1, p2, apdu[4..]);
            case (0x80, 0x2A):
                return ComputeDigitalSignature(p1, p2, apdu[4..]);
            case (0x00 or 0x80, _):
                return [0x6D, 0x00];
            default:
                return [0x6E, 0x00];
        }
    }

    private byte[] Verify(byte p1, byte p2, ReadOnlySpan<byte> rest)
    {
        if (_pin is null || !_jpkiSelected || _selectedEf != UserAuthenticationPinEf)
        {
            // No PIN here: an unpersonalised card, or no PIN EF selected.
            return [0x69, 0x82];
        }

        if (p1 != 0x00 || p2 != 0x80)
        {
            return [0x6A, 0x86];
        }

        if (rest.IsEmpty)
        {
            // VERIFY without data: the tries left, nothing changes (ISO/IEC 7816-4 §11.5.6).
            return PinTriesLeft == 0 ? [0x69, 0x84] : [0x63, (byte)(0xC0 | PinTriesLeft)];
        }

        if (rest[0] + 1 > rest.Length)
        {
            return [0x67, 0x00];
        }

        if (PinTriesLeft == 0)
        {
            return [0x69, 0x84];
        }

        ReadOnlySpan<byte> offered = rest.Slice(1, rest[0]);
        if (CryptographicOperations.FixedTimeEquals(offered, _pin))
        {
            PinTriesLeft = PinTries;
            _verified = true;
            return [0x90, 0x00];
        }

        PinTriesLeft--;
        _verified = false;
        return [0x63, (byte)(0xC0 | PinTriesLeft)];
    }

    private byte[] ComputeDigitalSignature(byte p1, byte p2, ReadOnlySpan<byte> rest)
    {
        if (_key is null || !_jpkiSelected || _selectedEf != UserAuthenticationKeyEf)
        {
            return [0x69, 0x86];
        }

        if (!_verified)
        {
            return [0x69, 0x82];
        }

        if (p1 != 0x00 || p2 != 0x80)
        {
            return [0x6A, 0x86];
        }

        if (rest.IsEmpty || rest[0] + 1 > rest.Length)
        {
            return [0x67, 0x00];
        }

        ReadOnlySpan<byte> digestInfo = rest.Slice(1, rest[0]);
        if (digestInfo.Length != Sha256DigestInfoPrefix.Length + 32 || !digestInfo.StartsWith(Sha256DigestInfoPrefix))
        {
            // The emulated card signs SHA-256 DigestInfos only (the real one pads whatever it is given).
            return [0x6A, 0x80];
        }

        byte[] signature = _key.SignHash(digestInfo[Sha256DigestInfoPrefix.Length..], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Signatures++;
        return [.. signature, 0x90, 0x00];
    }

    private byte[] Select(byte p1, ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty || rest[0] + 1 > rest.Length)
        {
            return [0x67, 0x00];
        }

        ReadOnlySpan<byte> data = rest.Slice(1, rest[0]);
        if (p1 == 0x04)
        {
            _jpkiSelected = data.SequenceEqual(JpkiAid);
            _selectedEf = null;
            // Selecting the application again starts over: the PIN must be verified again.
            _verified = false;
            return _jpkiSelected ? [0x90, 0x00] : [0x6A, 0x82];
        }

        if (p1 == 0x02 && data.Length == 2)
        {
            ushort ef = (ushort)((data[0] << 8) | data[1]);
            if (!_jpkiSelected || ef is not (UserAuthenticationCertificateEf or UserAuthenticationCaEf or SigningCertificateEf or UserAuthenticationPinEf or UserAuthenticationKeyEf))
            {
                _selectedEf = null;
                return [0x6A, 0x82];
            }

            _selectedEf = ef;
            return [0x90, 0x00];
        }

        return [0x6A, 0x86];
    }

    private byte[] ReadBinary(byte p1, byte p2, byte le)
    {
        if (_selectedEf is not { } ef)
        {
            return [0x69, 0x86];
        }

        if (ef is UserAuthenticationPinEf or UserAuthenticationKeyEf)
        {
            // Not a binary file.
            return [0x69, 0x81];
        }

        if (ef != UserAuthenticationCertificateEf)
        {
            return [0x69, 0x82];
        }

        int offset = ((p1 & 0x7F) << 8) | p2;
        int wanted = le == 0 ? 256 : le;
        if (offset >= _userAuthCertificate.Length)
        {
            return [0x6B, 0x00];
        }

        int count = Math.Min(wanted, _userAuthCertificate.Length - offset);
        byte[] response = new byte[count + 2];
        _userAuthCertificate.AsSpan(offset, count).CopyTo(response);
        // 62 82: end of file reached before Le bytes.
        (response[^2], response[^1]) = count < wanted ? ((byte)0x62, (byte)0x82) : ((byte)0x90, (byte)0x00);
        return response;
    }

    /// <summary>
    /// A stand-in for the JPKI user-authentication certificate: self-signed, ECDSA P-256, with
    /// the given serial number and holder name and address in the subject, so that tests can
    /// prove none of them but the serial leaves the reader.
    /// </summary>
    public static byte[] CreateUserAuthenticationCertificate(ReadOnlySpan<byte> serial, string holderName = "前橋 太郎", string holderAddress = "群馬県前橋市大手町2-12-1")
    {
        if (serial.IsEmpty || serial.Length > 20)
        {
            throw new ArgumentException("a certificate serial has 1 to 20 bytes", nameof(serial));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCountryOrRegion("JP");
        subject.AddLocalityName(holderAddress);
        subject.AddCommonName(holderName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var issuer = new X500DistinguishedName("CN=Emulated JPKI User Authentication CA, O=Maebashi Edge test, C=JP");
        var notBefore = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using X509Certificate2 made = request.Create(issuer, X509SignatureGenerator.CreateForECDsa(key), notBefore, notBefore.AddYears(5), [0x01]);
        // CertificateRequest always writes a positive serial (it prefixes 0x00 to a high first
        // byte); write the serial bytes exactly as given, so X509Certificate2.SerialNumber reads
        // back the same hex, and sign the changed certificate again.
        return CertificateSerial.Rewrite(made.RawData, serial, tbs => key.SignData(tbs, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    public override string Describe() => "My Number card (JPKI)";
}
