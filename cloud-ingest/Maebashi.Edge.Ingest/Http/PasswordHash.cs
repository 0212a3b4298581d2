using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// Operator (and later citizen) passwords as PHC strings, <c>$pbkdf2-sha256$i=600000$&lt;salt&gt;$&lt;hash&gt;</c>
/// (salt and hash in base64 without padding, as the PHC string format writes them). PBKDF2-HMAC-SHA256 at
/// OWASP's current cost; a string with another iteration count still verifies, so older hashes keep working.
/// </summary>
public static class PasswordHash
{
    /// <summary>OWASP Password Storage Cheat Sheet's figure for PBKDF2-HMAC-SHA256.</summary>
    public const int Iterations = 600_000;

    /// <summary>The PHC algorithm identifier.</summary>
    public const string Algorithm = "pbkdf2-sha256";

    /// <summary>A password longer than this is refused before hashing: each verification costs its length.</summary>
    public const int MaxPasswordLength = 1024;

    /// <summary>Fewer iterations than this are not a hash worth accepting; more would let a file stall sign-in.</summary>
    private const int MinIterations = 10_000;

    private const int MaxIterations = 10_000_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>A fresh salt and the hash of <paramref name="password"/>, as a PHC string.</summary>
    public static string Hash(string password)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(SaltBytes);
        byte[] hash = Derive(password, salt, Iterations, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"${Algorithm}$i={Iterations}${B64(salt)}${B64(hash)}");
    }

    /// <summary>Whether <paramref name="phc"/> is a PHC string this class can verify; <paramref name="why"/> says what is wrong.</summary>
    public static bool IsValid(string phc, out string? why)
    {
        why = Parse(phc, out _, out _, out _);
        return why is null;
    }

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="phc"/> was made from (compared in constant time).</summary>
    public static bool Verify(string password, string phc)
    {
        if (password.Length > MaxPasswordLength || Parse(phc, out int iterations, out byte[] salt, out byte[] expected) is not null)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Derive(password, salt, iterations, expected.Length), expected);
    }

    private static byte[] Derive(string password, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, length);

    private static string? Parse(string phc, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = [];
        hash = [];
        string[] parts = phc.Split('$');
        if (parts.Length >= 2 && parts[0].Length == 0 && parts[1] != Algorithm)
        {
            return $"unsupported algorithm '{parts[1]}' (expected {Algorithm})";
        }

        if (parts.Length != 5 || parts[0].Length != 0)
        {
            return $"expected ${Algorithm}$i=N$SALT$HASH";
        }

        if (!parts[2].StartsWith("i=", StringComparison.Ordinal)
            || !int.TryParse(parts[2].AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations is < MinIterations or > MaxIterations)
        {
            return $"expected i=N with N from {MinIterations} to {MaxIterations}";
        }

        if (FromB64(parts[3]) is not { Length: >= 8 } s)
        {
            return "salt: expected base64 of at least 8 bytes";
        }

        if (FromB64(parts[4]) is not { Length: >= 16 and <= 64 } h)
        {
            return "hash: expected base64 of 16 to 64 bytes";
        }

        salt = s;
        hash = h;
        return null;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[]? FromB64(string text)
    {
        string padded = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
