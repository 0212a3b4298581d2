using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Maebashi.Edge.Contract.Identity;

/// <summary>
/// The card token of docs/contract.md §2: raw UIDs never leave the terminal host, only
/// <c>base64url_nopad(HMAC-SHA256(regionKey, ASCII(tech ":" UPPERHEX(uid)))[0..16))</c>.
/// </summary>
public static class CardToken
{
    /// <summary>Length of a token on the wire: 16 bytes in base64url without padding.</summary>
    public const int Length = 22;

    public static string Compute(ReadOnlySpan<byte> regionKey, CardTech tech, ReadOnlySpan<byte> uid)
    {
        string wireTech = tech.ToWire();
        // tech + ":" + 2 hex chars per byte; ASCII so one byte per char.
        Span<byte> message = stackalloc byte[wireTech.Length + 1 + uid.Length * 2];
        int n = Encoding.ASCII.GetBytes(wireTech, message);
        message[n++] = (byte)':';
        foreach (byte b in uid)
        {
            message[n++] = UpperHexDigit(b >> 4);
            message[n++] = UpperHexDigit(b & 0xF);
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(regionKey, message, mac);
        return Base64Url.EncodeToString(mac[..16]);
    }

    public static string Compute(ReadOnlySpan<byte> regionKey, CardTech tech, string uidHex) =>
        Compute(regionKey, tech, Hex.Parse(uidHex, "uid"));

    /// <summary>Whether a string has the shape of a token (22 base64url characters).</summary>
    public static bool IsWellFormed(string? tok)
    {
        if (tok is null || tok.Length != Length)
        {
            return false;
        }

        foreach (char c in tok)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static byte UpperHexDigit(int v) => (byte)(v < 10 ? '0' + v : 'A' + v - 10);
}
