using System.Security.Cryptography;

namespace Maebashi.Edge.CardAuth.Sun;

/// <summary>
/// The two computations of an NTAG 424 DNA SUN message (NXP AN12196 §3.3–3.4), on either side: the card
/// produces them, the ingest checks them. <c>PICCData = C7 ‖ UID(7) ‖ SDMReadCtr(3, LSB first) ‖ 5 random
/// bytes</c>, encrypted under <c>K_meta</c> with AES-128-CBC and a zero IV; the MAC is the odd-indexed bytes of
/// <c>AES-CMAC(K_ses, empty)</c>, <c>K_ses = AES-CMAC(K_file, 3C C3 00 01 00 80 ‖ UID ‖ SDMReadCtr)</c>.
/// </summary>
public static class SunCrypto
{
    /// <summary>PICCDataTag: UID mirrored (bit 7), counter mirrored (bit 6), UID length 7 (bits 3–0).</summary>
    public const byte PiccDataTag = 0xC7;

    public const int UidLength = 7;
    public const int EncryptedLength = 16;
    public const int MacLength = 8;

    /// <summary>The counter is 24 bits on the card.</summary>
    public const int MaxCounter = 0xFF_FFFF;

    // AN12196 §3.4: SV2 = 3C C3 00 01 00 80 ‖ UID ‖ SDMReadCtr, the session MAC key's derivation vector.
    private static ReadOnlySpan<byte> SessionMacLabel => [0x3C, 0xC3, 0x00, 0x01, 0x00, 0x80];

    /// <summary>Encrypts the PICC data as the card mirrors it (the card side; the emulators use it).</summary>
    public static byte[] EncryptPiccData(ReadOnlySpan<byte> metaKey, ReadOnlySpan<byte> uid, int counter, ReadOnlySpan<byte> random5)
    {
        RequireUid(uid);
        if (counter is < 0 or > MaxCounter)
        {
            throw new ArgumentOutOfRangeException(nameof(counter), counter, "SDMReadCtr is 24 bits");
        }

        if (random5.Length != 5)
        {
            throw new ArgumentException("5 random bytes complete the block", nameof(random5));
        }

        Span<byte> plain = stackalloc byte[EncryptedLength];
        plain[0] = PiccDataTag;
        uid.CopyTo(plain[1..]);
        WriteCounter(counter, plain.Slice(1 + UidLength, 3));
        random5.CopyTo(plain[11..]);
        using Aes aes = Aes.Create();
        aes.Key = metaKey.ToArray();
        return aes.EncryptCbc(plain, new byte[16], PaddingMode.None);
    }

    /// <summary>Decrypts <c>e</c> into its tag, UID and counter; false when the tag is not <see cref="PiccDataTag"/>.</summary>
    public static bool TryDecryptPiccData(ReadOnlySpan<byte> metaKey, ReadOnlySpan<byte> encrypted, out byte[] uid, out int counter)
    {
        if (encrypted.Length != EncryptedLength)
        {
            throw new ArgumentException($"e is {EncryptedLength} bytes", nameof(encrypted));
        }

        using Aes aes = Aes.Create();
        aes.Key = metaKey.ToArray();
        Span<byte> plain = stackalloc byte[EncryptedLength];
        aes.DecryptCbc(encrypted, new byte[16], plain, PaddingMode.None);
        uid = plain.Slice(1, UidLength).ToArray();
        counter = plain[8] | plain[9] << 8 | plain[10] << 16;
        return plain[0] == PiccDataTag;
    }

    /// <summary>The 8-byte SDMMAC over an empty MAC input (the card mirrors no file data into the MAC).</summary>
    public static byte[] Mac(ReadOnlySpan<byte> fileKey, ReadOnlySpan<byte> uid, int counter)
    {
        RequireUid(uid);
        Span<byte> vector = stackalloc byte[SessionMacLabel.Length + UidLength + 3];
        SessionMacLabel.CopyTo(vector);
        uid.CopyTo(vector[SessionMacLabel.Length..]);
        WriteCounter(counter, vector[(SessionMacLabel.Length + UidLength)..]);
        Span<byte> sessionKey = stackalloc byte[AesCmac.MacSize];
        AesCmac.Compute(fileKey, vector, sessionKey);
        Span<byte> full = stackalloc byte[AesCmac.MacSize];
        AesCmac.Compute(sessionKey, [], full);
        byte[] mac = new byte[MacLength];
        for (int i = 0; i < MacLength; i++)
        {
            mac[i] = full[2 * i + 1];
        }

        return mac;
    }

    private static void WriteCounter(int counter, Span<byte> to)
    {
        to[0] = (byte)counter;
        to[1] = (byte)(counter >> 8);
        to[2] = (byte)(counter >> 16);
    }

    private static void RequireUid(ReadOnlySpan<byte> uid)
    {
        if (uid.Length != UidLength)
        {
            throw new ArgumentException($"an NTAG 424 DNA UID is {UidLength} bytes, got {uid.Length}", nameof(uid));
        }
    }
}
