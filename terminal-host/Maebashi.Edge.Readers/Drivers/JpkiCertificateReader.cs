using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Iot.Device.Card;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// Reads a My Number card's JPKI user-authentication certificate, which needs no PIN: SELECT the
/// JPKI AP, SELECT EF 00 0A, READ BINARY in chunks, parse with <see cref="X509Certificate2"/>.
/// At a tap only the serial leaves this class; the certificate bytes (holder name, address, birth
/// date) are wiped and never logged. The PIN flow (<see cref="JpkiUserAuthentication"/>) reads the
/// whole certificate to send it with the signature.
/// </summary>
internal static class JpkiCertificateReader
{
    /// <summary>EF of the user-authentication certificate (利用者証明用電子証明書), readable without a PIN.</summary>
    public const ushort UserAuthenticationCertificateEf = 0x000A;

    private const int Chunk = 0xE0;
    private const int MaxCertificate = 8 * 1024;

    public static byte[] ReadUserAuthenticationSerial(CardTransceiver reader, byte target)
    {
        JpkiApdu.SelectApplication(reader, target);
        byte[] der = ReadUserAuthenticationCertificate(reader, target);
        try
        {
            return SerialOf(der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// The user-authentication certificate's DER, with the JPKI AP selected: SELECT EF 00 0A, READ BINARY in chunks.
    /// The caller wipes it.
    /// </summary>
    public static byte[] ReadUserAuthenticationCertificate(CardTransceiver reader, byte target)
    {
        JpkiApdu.SelectFile(reader, target, UserAuthenticationCertificateEf, "user-authentication certificate");
        ushort status = JpkiApdu.Send(reader, target, [0x00, 0xB0, 0x00, 0x00, 0x04], out byte[] head);
        JpkiApdu.Expect(status, "READ BINARY (certificate header)");
        int total = DerLength(head);
        byte[] der = new byte[total];
        try
        {
            int offset = 0;
            while (offset < total)
            {
                int wanted = Math.Min(Chunk, total - offset);
                status = JpkiApdu.Send(reader, target, [0x00, 0xB0, (byte)(offset >> 8), (byte)offset, (byte)wanted], out byte[] data);
                if (status is not (JpkiApdu.Ok or JpkiApdu.EndOfFile) || data.Length == 0 || data.Length > total - offset)
                {
                    throw new CardIOException($"READ BINARY at {offset} answered SW {status:X4} with {data.Length} bytes");
                }

                data.CopyTo(der, offset);
                CryptographicOperations.ZeroMemory(data);
                offset += data.Length;
            }

            return der;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(der);
            throw;
        }
    }

    /// <summary>The certificate's serial (the bytes of its DER integer), from its DER.</summary>
    public static byte[] SerialOf(byte[] der)
    {
        try
        {
            using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(der);
            return Convert.FromHexString(certificate.SerialNumber);
        }
        catch (CryptographicException e)
        {
            throw new CardIOException("the user-authentication certificate could not be parsed", e);
        }
    }

    /// <summary>The whole DER length from the first four bytes of a SEQUENCE (30 LL, 30 81 LL, 30 82 LL LL).</summary>
    private static int DerLength(byte[] head)
    {
        if (head.Length < 4 || head[0] != 0x30)
        {
            throw new CardIOException("the certificate EF does not start with a DER SEQUENCE");
        }

        int length = head[1] switch
        {
            < 0x80 => 2 + head[1],
            0x81 => 3 + head[2],
            0x82 => 4 + ((head[2] << 8) | head[3]),
            _ => -1,
        };
        if (length is < 4 or > MaxCertificate)
        {
            throw new CardIOException($"the certificate length is not plausible ({length} bytes)");
        }

        return length;
    }
}
