using System.Security.Cryptography;
using System.Text;

namespace Maebashi.Edge.Ingest.Web.MyPage;

/// <summary>
/// A one-time enrollment code: 10 characters of Crockford base32 (50 bits from the system's CSPRNG), written in two
/// groups of five for typing (<c>7K3QD-M9XWA</c>). Only its SHA-256 is stored. Reading is forgiving as Crockford
/// intends: case, spaces and hyphens do not matter, and O, I and L read as 0, 1 and 1.
/// </summary>
public static class EnrollmentCode
{
    public const int Length = 10;

    /// <summary>Bits of entropy in a code (5 per character).</summary>
    public const int Bits = Length * 5;

    /// <summary>How long a code stays usable unless the issuer says otherwise.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(14);

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New()
    {
        var chars = new char[Length];
        for (int i = 0; i < Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return new string(chars, 0, 5) + "-" + new string(chars, 5, 5);
    }

    /// <summary>The canonical form of what was typed, or null when it cannot be a code.</summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null || typed.Length > 40)
        {
            return null;
        }

        var sb = new StringBuilder(Length);
        foreach (char raw in typed)
        {
            char c = char.ToUpperInvariant(raw);
            if (c is '-' or ' ' or '\u3000')
            {
                continue;
            }

            c = c switch
            {
                'O' => '0',
                'I' or 'L' => '1',
                _ => c,
            };
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return null;
            }

            sb.Append(c);
        }

        return sb.Length == Length ? sb.ToString() : null;
    }

    /// <summary>What is stored of a code: the hex SHA-256 of its canonical form.</summary>
    public static string HashOf(string canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(canonical)));
}
