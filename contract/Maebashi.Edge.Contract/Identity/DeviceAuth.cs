using System.Buffers.Text;
using System.Security.Cryptography;

namespace Maebashi.Edge.Contract.Identity;

/// <summary>
/// Device-side secrets derived from the device key (docs/contract.md §2 and §9), so the key itself never travels.
/// </summary>
public static class DeviceAuth
{
    /// <summary>Name of the MQTT 5 user property that carries the batch MAC.</summary>
    public const string MacProperty = "mac";

    private static ReadOnlySpan<byte> PasswordLabel => "mqtt-password"u8;

    /// <summary>The <c>mac</c> user property: base64url_nopad(HMAC-SHA256(deviceKey, payload bytes)).</summary>
    public static string ComputeMac(ReadOnlySpan<byte> deviceKey, ReadOnlySpan<byte> payload)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(deviceKey, payload, mac);
        return Base64Url.EncodeToString(mac);
    }

    /// <summary>Checks a received MAC in constant time; a malformed MAC is simply not valid.</summary>
    public static bool VerifyMac(ReadOnlySpan<byte> deviceKey, ReadOnlySpan<byte> payload, string? mac)
    {
        if (string.IsNullOrEmpty(mac) || mac.Length != 43)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[32];
        if (!Base64Url.TryDecodeFromChars(mac, given, out int written) || written != 32)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(deviceKey, payload, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The broker password: base64url_nopad(HMAC-SHA256(deviceKey, "mqtt-password")).</summary>
    public static string ComputeMqttPassword(ReadOnlySpan<byte> deviceKey)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(deviceKey, PasswordLabel, mac);
        return Base64Url.EncodeToString(mac);
    }
}
