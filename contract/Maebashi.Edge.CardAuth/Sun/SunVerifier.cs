using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.CardAuth.Sun;

/// <summary>What checking one SUN message found.</summary>
public enum SunVerdict
{
    /// <summary>Genuine: the PICC data decrypts under the card's key version, names the card, and the MAC matches.</summary>
    Valid,

    /// <summary><c>e</c> or <c>c</c> is not hex of the right length.</summary>
    Malformed,

    /// <summary>The card's key version has no master key at this ingest.</summary>
    UnknownKeyVersion,

    /// <summary>The decrypted PICC data does not start with the tag <c>C7</c>: not made with the city's key.</summary>
    BadTag,

    /// <summary>The decrypted UID is not the UID of the card behind the token.</summary>
    UidMismatch,

    /// <summary>The MAC does not match the UID and counter.</summary>
    BadMac,
}

/// <summary>The result: the verdict and, when the PICC data decrypted, the card's SDM read counter.</summary>
public readonly record struct SunCheck(SunVerdict Verdict, int Counter)
{
    public bool IsValid => Verdict == SunVerdict.Valid;

    /// <summary>A clone signal on its own (a forged or transplanted message), as opposed to a malformed one.</summary>
    public bool IsCloneSignal => Verdict is SunVerdict.BadTag or SunVerdict.UidMismatch or SunVerdict.BadMac;
}

/// <summary>
/// Verifies a tap's <c>card.sun</c> at the ingest (docs/contract.md "Card authentication"). Stateless: the
/// counters it returns are judged against the card's other reads elsewhere, by event time.
/// </summary>
public sealed class SunVerifier(CardMasterKeys keys, byte[] regionKey)
{
    /// <summary>Checks <paramref name="eHex"/> and <paramref name="cHex"/> for the card <paramref name="token"/> of tech <paramref name="tech"/>.</summary>
    public SunCheck Verify(string token, CardTech tech, int keyVersion, string? eHex, string? cHex)
    {
        if (!Hex.TryParse(eHex, out byte[] e) || e.Length != SunCrypto.EncryptedLength
            || !Hex.TryParse(cHex, out byte[] c) || c.Length != SunCrypto.MacLength)
        {
            return new SunCheck(SunVerdict.Malformed, -1);
        }

        byte[]? metaKey = keys.MetaReadKey(keyVersion);
        if (metaKey is null)
        {
            return new SunCheck(SunVerdict.UnknownKeyVersion, -1);
        }

        if (!SunCrypto.TryDecryptPiccData(metaKey, e, out byte[] uid, out int counter))
        {
            return new SunCheck(SunVerdict.BadTag, -1);
        }

        // The cloud keeps tokens, not UIDs: the UID in the message names the card when it gives its token.
        if (!string.Equals(CardToken.Compute(regionKey, tech, uid), token, StringComparison.Ordinal))
        {
            return new SunCheck(SunVerdict.UidMismatch, counter);
        }

        byte[] fileKey = keys.FileReadKey(keyVersion, uid)!;
        byte[] expected = SunCrypto.Mac(fileKey, uid, counter);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, c)
            ? new SunCheck(SunVerdict.Valid, counter)
            : new SunCheck(SunVerdict.BadMac, counter);
    }
}
