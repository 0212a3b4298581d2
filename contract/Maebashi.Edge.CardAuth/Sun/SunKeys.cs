using System.Text;

namespace Maebashi.Edge.CardAuth.Sun;

/// <summary>
/// The city's per-card NTAG 424 DNA keys, diversified from a 16-byte master in the spirit of NXP AN10922
/// (docs/contract.md "Card authentication"): one SDM meta-read key for every card, one SDM file-read key
/// per card UID. The exact form is part of the contract; the card personalisation writes these keys.
/// </summary>
public static class SunKeys
{
    private static readonly byte[] MetaLabel = Encoding.ASCII.GetBytes("maebashi/sdm-meta-read");
    private static readonly byte[] FileLabel = Encoding.ASCII.GetBytes("maebashi/sdm-file-read/");

    /// <summary><c>K_meta = AES-CMAC(master, ASCII("maebashi/sdm-meta-read"))</c>.</summary>
    public static byte[] MetaRead(ReadOnlySpan<byte> master) => AesCmac.Compute(master, MetaLabel);

    /// <summary><c>K_file(uid) = AES-CMAC(master, ASCII("maebashi/sdm-file-read/") ‖ UID)</c>.</summary>
    public static byte[] FileRead(ReadOnlySpan<byte> master, ReadOnlySpan<byte> uid)
    {
        Span<byte> message = stackalloc byte[FileLabel.Length + uid.Length];
        FileLabel.CopyTo(message);
        uid.CopyTo(message[FileLabel.Length..]);
        return AesCmac.Compute(master, message);
    }
}
