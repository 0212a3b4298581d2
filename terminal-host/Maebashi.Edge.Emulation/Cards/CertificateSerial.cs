using System.Formats.Asn1;

namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// Gives a made certificate exactly the serial a test names. CertificateRequest writes a positive serial (it prefixes
/// 0x00 to a high first byte), while a card's serial is whatever its issuer wrote, and the token is computed from those
/// bytes: the TBSCertificate is written again with the serial as given and signed again by <c>sign</c>.
/// </summary>
internal static class CertificateSerial
{
    /// <summary>Why the serial cannot be a certificate's (not 1 to 20 bytes, or not a minimal DER integer), or null.</summary>
    public static string? Problem(ReadOnlySpan<byte> serial) =>
        serial.IsEmpty || serial.Length > 20 ? "a certificate serial has 1 to 20 bytes"
        : serial.Length > 1 && ((serial[0] == 0x00 && serial[1] < 0x80) || (serial[0] == 0xFF && serial[1] >= 0x80))
            ? "a certificate serial is a minimal DER integer: no redundant leading 00 or FF byte"
            : null;

    public static byte[] Rewrite(byte[] certificate, ReadOnlySpan<byte> serial, Func<byte[], byte[]> sign)
    {
        if (Problem(serial) is { } problem)
        {
            throw new ArgumentException(problem, nameof(serial));
        }

        var outer = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence();
        var tbs = outer.ReadSequence();
        ReadOnlyMemory<byte> signatureAlgorithm = outer.ReadEncodedValue();
        var newTbs = new AsnWriter(AsnEncodingRules.DER);
        using (newTbs.PushSequence())
        {
            newTbs.WriteEncodedValue(tbs.ReadEncodedValue().Span); // [0] version
            tbs.ReadIntegerBytes();
            newTbs.WriteInteger(serial);
            while (tbs.HasData)
            {
                newTbs.WriteEncodedValue(tbs.ReadEncodedValue().Span);
            }
        }

        byte[] tbsBytes = newTbs.Encode();
        var result = new AsnWriter(AsnEncodingRules.DER);
        using (result.PushSequence())
        {
            result.WriteEncodedValue(tbsBytes);
            result.WriteEncodedValue(signatureAlgorithm.Span);
            result.WriteBitString(sign(tbsBytes));
        }

        return result.Encode();
    }
}
