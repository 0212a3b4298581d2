using System.Security.Cryptography;
using Iot.Device.Card;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// APDUs to a My Number card's JPKI application over ISO/IEC 14443-4 (the reader runs the block protocol), and the
/// status words the JPKI AP answers (ISO/IEC 7816-4 §5.1.3). Every buffer that held card data is wiped.
/// </summary>
internal static class JpkiApdu
{
    /// <summary>The JPKI application (公的個人認証 AP).</summary>
    public static readonly byte[] JpkiAid = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    public const ushort Ok = 0x9000;

    /// <summary>End of file reached before Le bytes (a READ BINARY's last chunk).</summary>
    public const ushort EndOfFile = 0x6282;

    /// <summary>Security status not satisfied: the PIN was not verified in this session.</summary>
    public const ushort SecurityStatusNotSatisfied = 0x6982;

    /// <summary>Authentication method blocked (the PIN is locked), as some cards answer.</summary>
    public const ushort AuthenticationBlocked = 0x6983;

    /// <summary>Reference data not usable (the PIN is locked), as the JPKI AP answers.</summary>
    public const ushort ReferenceDataBlocked = 0x6984;

    /// <summary>
    /// The response buffer: 256 bytes of data (a short APDU's most, an RSA-2048 signature) and SW1 SW2, with room to
    /// spare: the PN532 binding reads its I²C frame into this size plus 12 bytes of framing, one byte short of an
    /// extended frame carrying 258 bytes.
    /// </summary>
    private const int MaxResponse = 300;

    /// <summary>SELECT the JPKI AP (by DF name, no FCI).</summary>
    public static void SelectApplication(CardTransceiver reader, byte target) =>
        Expect(Send(reader, target, [0x00, 0xA4, 0x04, 0x0C, (byte)JpkiAid.Length, .. JpkiAid], out _), "SELECT JPKI AP", notMyNumber: true);

    /// <summary>SELECT an EF of the current application by its file id (P1 02, no FCI).</summary>
    public static void SelectFile(CardTransceiver reader, byte target, ushort fileId, string what) =>
        Expect(Send(reader, target, [0x00, 0xA4, 0x02, 0x0C, 0x02, (byte)(fileId >> 8), (byte)fileId], out _), $"SELECT {what} EF", notMyNumber: true);

    /// <summary>Whether a status word is 63 Cx (a wrong PIN, or VERIFY's count) and x, the tries left.</summary>
    public static bool IsTriesLeft(ushort status, out int triesLeft)
    {
        triesLeft = status & 0x0F;
        return (status & 0xFFF0) == 0x63C0;
    }

    public static bool IsLocked(ushort status) => status is ReferenceDataBlocked or AuthenticationBlocked;

    /// <summary>One APDU; returns SW1SW2 and the response data. A card that does not answer has left or failed.</summary>
    public static ushort Send(CardTransceiver reader, byte target, ReadOnlySpan<byte> apdu, out byte[] data)
    {
        byte[] response = new byte[MaxResponse];
        try
        {
            int count = reader.Transceive(target, apdu, response, NfcProtocol.Iso14443_4);
            if (count < 2)
            {
                throw new CardIOException("the card did not answer (it left the field or the frame was garbled)");
            }

            data = response[..(count - 2)];
            return (ushort)((response[count - 2] << 8) | response[count - 1]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(response);
        }
    }

    public static void Expect(ushort status, string step, bool notMyNumber = false)
    {
        if (status != Ok)
        {
            throw notMyNumber
                ? new CardIOException($"{step} answered SW {status:X4}: not a My Number card with JPKI", rejected: true)
                : new CardIOException($"{step} answered SW {status:X4}");
        }
    }
}
