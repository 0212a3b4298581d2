using System.Security.Cryptography;
using Iot.Device.Card;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// The JPKI user-authentication flow on a My Number card, in one activation of the card (the card forgets a
/// verified PIN when it is deselected): SELECT the JPKI AP; SELECT EF 00 18 (the user-authentication PIN) and VERIFY
/// <c>00 20 00 80 04 PIN</c>; read the user-authentication certificate (EF 00 0A); SELECT EF 00 17 (the private key)
/// and COMPUTE DIGITAL SIGNATURE <c>80 2A 00 80 Lc DigestInfo 00</c>, which the card pads (PKCS#1 v1.5) and signs.
/// VERIFY without data answers 63 Cx, the tries left, and uses none (ISO/IEC 7816-4 §11.5.6). The PIN's bytes are
/// wiped from every buffer this class fills.
/// </summary>
internal static class JpkiUserAuthentication
{
    /// <summary>EF of the user-authentication PIN (利用者証明用パスワード, 4 digits, 3 tries).</summary>
    public const ushort PinEf = 0x0018;

    /// <summary>EF of the user-authentication private key.</summary>
    public const ushort PrivateKeyEf = 0x0017;

    public const int PinLength = 4;

    /// <summary>The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1); the 32-byte hash follows.</summary>
    private static readonly byte[] Sha256DigestInfoPrefix =
        [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

    /// <summary>The PIN's tries left (0: locked), without using one.</summary>
    public static int ReadPinTriesLeft(CardTransceiver reader, byte target)
    {
        JpkiApdu.SelectApplication(reader, target);
        JpkiApdu.SelectFile(reader, target, PinEf, "user-authentication PIN");
        ushort status = JpkiApdu.Send(reader, target, [0x00, 0x20, 0x00, 0x80], out _);
        if (JpkiApdu.IsTriesLeft(status, out int left))
        {
            return left;
        }

        return JpkiApdu.IsLocked(status) ? 0 : throw new CardIOException($"VERIFY (tries left) answered SW {status:X4}");
    }

    /// <summary>
    /// VERIFY <paramref name="pin"/> (ASCII digits), read the certificate, check it is the card read at the tap
    /// (<paramref name="serial"/>), and have the card sign <paramref name="message"/> (SHA-256). Throws
    /// <see cref="JpkiPinRefusedException"/> for a wrong or locked PIN, <see cref="CardIOException"/> when the card fails.
    /// </summary>
    public static JpkiProof Authenticate(CardTransceiver reader, byte target, ReadOnlySpan<byte> pin, ReadOnlySpan<byte> serial, ReadOnlySpan<byte> message)
    {
        if (pin.Length != PinLength)
        {
            throw new ArgumentException($"the user-authentication PIN has {PinLength} digits", nameof(pin));
        }

        JpkiApdu.SelectApplication(reader, target);
        JpkiApdu.SelectFile(reader, target, PinEf, "user-authentication PIN");
        Verify(reader, target, pin);

        byte[] certificate = JpkiCertificateReader.ReadUserAuthenticationCertificate(reader, target);
        try
        {
            if (!JpkiCertificateReader.SerialOf(certificate).AsSpan().SequenceEqual(serial))
            {
                // Another card was put down in the meantime: it is not the card the patient tapped.
                throw new CardIOException("the card on the reader is not the card that was tapped");
            }

            JpkiApdu.SelectFile(reader, target, PrivateKeyEf, "user-authentication private key");
            Span<byte> digestInfo = stackalloc byte[Sha256DigestInfoPrefix.Length + SHA256.HashSizeInBytes];
            Sha256DigestInfoPrefix.CopyTo(digestInfo);
            SHA256.HashData(message, digestInfo[Sha256DigestInfoPrefix.Length..]);
            ushort status = JpkiApdu.Send(reader, target, [0x80, 0x2A, 0x00, 0x80, (byte)digestInfo.Length, .. digestInfo, 0x00], out byte[] signature);
            JpkiApdu.Expect(status, "COMPUTE DIGITAL SIGNATURE");
            if (signature.Length is < 128 or > 512)
            {
                throw new CardIOException($"COMPUTE DIGITAL SIGNATURE answered {signature.Length} bytes, not an RSA signature");
            }

            return new JpkiProof(certificate, signature);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(certificate);
            throw;
        }
    }

    private static void Verify(CardTransceiver reader, byte target, ReadOnlySpan<byte> pin)
    {
        Span<byte> apdu = stackalloc byte[5 + PinLength];
        ushort status;
        try
        {
            ((ReadOnlySpan<byte>)[0x00, 0x20, 0x00, 0x80, PinLength]).CopyTo(apdu);
            pin.CopyTo(apdu[5..]);
            status = JpkiApdu.Send(reader, target, apdu, out _);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(apdu);
        }

        if (status == JpkiApdu.Ok)
        {
            return;
        }

        if (JpkiApdu.IsTriesLeft(status, out int left))
        {
            throw new JpkiPinRefusedException(left);
        }

        throw JpkiApdu.IsLocked(status) ? new JpkiPinRefusedException(0) : new CardIOException($"VERIFY answered SW {status:X4}");
    }
}
