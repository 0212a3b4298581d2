using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Iot.Device.Card;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// Reads the serial number of a My Number card's JPKI user-authentication certificate, which
/// needs no PIN: SELECT the JPKI AP, SELECT EF 00 0A, READ BINARY in chunks, parse with
/// <see cref="X509Certificate2"/>. Only the serial leaves this class; the certificate bytes
/// (holder name, address, birth date) are wiped and never logged.
/// </summary>
internal static class JpkiCertificateReader
{
    public static readonly byte[] JpkiAid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    private const int Chunk = 0xE0;
    private const int MaxCertificate = 8 * 1024;

    public static byte[] ReadUserAuthenticationSerial(CardTransceiver reader, byte target)
    {
        Expect(Send(reader, target, [0x00, 0xA4, 0x04, 0x0C, (byte)JpkiAid.Length, .. JpkiAid], out _), "SELECT JPKI AP", notMyNumber: true);
        Expect(Send(reader, target, [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A], out _), "SELECT user-authentication certificate EF", notMyNumber: true);

        ushort status = Send(reader, target, [0x00, 0xB0, 0x00, 0x00, 0x04], out byte[] head);
        Expect(status, "READ BINARY (certificate header)");
        int total = DerLength(head);
        byte[] der = new byte[total];
        try
        {
            int offset = 0;
            while (offset < total)
            {
                int wanted = Math.Min(Chunk, total - offset);
                status = Send(reader, target, [0x00, 0xB0, (byte)(offset >> 8), (byte)offset, (byte)wanted], out byte[] data);
                if (status is not (0x9000 or 0x6282) || data.Length == 0 || data.Length > total - offset)
                {
                    throw new CardIOException($"READ BINARY at {offset} answered SW {status:X4} with {data.Length} bytes");
                }

                data.CopyTo(der, offset);
                CryptographicOperations.ZeroMemory(data);
                offset += data.Length;
            }

            using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(der);
            return Convert.FromHexString(certificate.SerialNumber);
        }
        catch (CryptographicException e)
        {
            throw new CardIOException("the user-authentication certificate could not be parsed", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
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

    /// <summary>One APDU; returns SW1SW2 and the response data. A card that does not answer has left or failed.</summary>
    private static ushort Send(CardTransceiver reader, byte target, byte[] apdu, out byte[] data)
    {
        byte[] response = new byte[258];
        int count = reader.Transceive(target, apdu, response, NfcProtocol.Iso14443_4);
        if (count < 2)
        {
            CryptographicOperations.ZeroMemory(response);
            throw new CardIOException("the card did not answer (it left the field or the frame was garbled)");
        }

        data = response[..(count - 2)];
        ushort status = (ushort)((response[count - 2] << 8) | response[count - 1]);
        CryptographicOperations.ZeroMemory(response);
        return status;
    }

    private static void Expect(ushort status, string step, bool notMyNumber = false)
    {
        if (status != 0x9000)
        {
            throw notMyNumber
                ? new CardIOException($"{step} answered SW {status:X4}: not a My Number card with JPKI", rejected: true)
                : new CardIOException($"{step} answered SW {status:X4}");
        }
    }
}
