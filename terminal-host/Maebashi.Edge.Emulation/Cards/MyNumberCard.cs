using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// A My Number card (個人番号カード) at the JPKI application: SELECT the JPKI AP
/// (AID D3 92 F0 00 26 01 00 00 00 01), SELECT EF 00 0A (the user-authentication certificate,
/// readable without a PIN), READ BINARY in chunks. The signing certificate (EF 00 01) and the
/// PIN-protected EFs answer 69 82 (security status not satisfied), as the real card does
/// before VERIFY.
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

    private readonly byte[] _userAuthCertificate;
    private bool _jpkiSelected;
    private ushort? _selectedEf;

    public MyNumberCard(byte[] userAuthenticationCertificateDer, ReadOnlySpan<byte> pupi = default)
        : base(pupi.IsEmpty ? RandomNumberGenerator.GetBytes(4) : pupi)
    {
        ArgumentNullException.ThrowIfNull(userAuthenticationCertificateDer);
        _userAuthCertificate = (byte[])userAuthenticationCertificateDer.Clone();
    }

    /// <summary>APDUs the card has answered (tests check the reader's sequence with it).</summary>
    public int ApduCount { get; private set; }

    public override void Reset()
    {
        _jpkiSelected = false;
        _selectedEf = null;
    }

    public override byte[] ProcessApdu(ReadOnlySpan<byte> apdu)
    {
        ApduCount++;
        if (apdu.Length < 4)
        {
            return [0x67, 0x00];
        }

        byte cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
        if (cla != 0x00)
        {
            return [0x6E, 0x00];
        }

        switch (ins)
        {
            case 0xA4:
                return Select(p1, apdu[4..]);
            case 0xB0:
                return ReadBinary(p1, p2, apdu.Length > 4 ? apdu[4] : (byte)0);
            case 0x20:
                // VERIFY: PINs are not part of what a terminal may do here.
                return [0x69, 0x82];
            default:
                return [0x6D, 0x00];
        }
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
            return _jpkiSelected ? [0x90, 0x00] : [0x6A, 0x82];
        }

        if (p1 == 0x02 && data.Length == 2)
        {
            ushort ef = (ushort)((data[0] << 8) | data[1]);
            if (!_jpkiSelected || ef is not (UserAuthenticationCertificateEf or UserAuthenticationCaEf or SigningCertificateEf))
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
        return WithSerial(made.RawData, serial, key);
    }

    private static byte[] WithSerial(byte[] certificate, ReadOnlySpan<byte> serial, ECDsa key)
    {
        var outer = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadSequence();
        ReadOnlyMemory<byte> signatureAlgorithm = outer.ReadEncodedValue();
        var newTbs = new AsnWriter(AsnEncodingRules.DER);
        using (newTbs.PushSequence())
        {
            newTbs.WriteEncodedValue(tbs.ReadEncodedValue().Span); // [0] version
            tbs.ReadIntegerBytes();
            if (serial.Length > 1 && ((serial[0] == 0x00 && serial[1] < 0x80) || (serial[0] == 0xFF && serial[1] >= 0x80)))
            {
                throw new ArgumentException("a certificate serial is a minimal DER integer: no redundant leading 00 or FF byte", nameof(serial));
            }

            newTbs.WriteInteger(serial);
            while (tbs.HasData)
            {
                newTbs.WriteEncodedValue(tbs.ReadEncodedValue().Span);
            }
        }

        byte[] tbsBytes = newTbs.Encode();
        byte[] signature = key.SignData(tbsBytes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var result = new AsnWriter(AsnEncodingRules.DER);
        using (result.PushSequence())
        {
            result.WriteEncodedValue(tbsBytes);
            result.WriteEncodedValue(signatureAlgorithm.Span);
            result.WriteBitString(signature);
        }

        return result.Encode();
    }

    public override string Describe() => "My Number card (JPKI)";
}
