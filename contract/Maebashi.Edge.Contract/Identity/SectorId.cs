using System.Security.Cryptography;
using System.Text;

namespace Maebashi.Edge.Contract.Identity;

/// <summary>
/// What a service sees instead of the person's common ID (docs/contract.md §2, the bPK idea):
/// <c>base32_nopad_upper(HMAC-SHA256(linkKey, ASCII(pid "|" sector))[0..10))</c>, 16 characters.
/// </summary>
public static class SectorId
{
    public const string Transport = "transport";
    public const string Welfare = "welfare";
    public const string City = "city";
    public const string ClinicPrefix = "clinic:";

    public static string Clinic(string clinicId) => ClinicPrefix + clinicId;

    /// <summary>Whether a sector name is one docs/contract.md §2 defines, or why not.</summary>
    public static string? CheckSector(string? sector) => sector switch
    {
        null or "" => "sector is empty",
        Transport or Welfare or City => null,
        _ when sector.StartsWith(ClinicPrefix, StringComparison.Ordinal) && sector.Length > ClinicPrefix.Length => null,
        _ => $"unknown sector '{sector}' (expected transport, welfare, city or clinic:<clinicId>)",
    };

    public static string Compute(ReadOnlySpan<byte> linkKey, string pid, string sector)
    {
        ArgumentException.ThrowIfNullOrEmpty(pid);
        ArgumentException.ThrowIfNullOrEmpty(sector);
        byte[] message = Encoding.ASCII.GetBytes(pid + "|" + sector);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(linkKey, message, mac);
        return Base32.EncodeNoPad(mac[..10]);
    }
}
