using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Maebashi.Edge.CardAuth.Sun;

/// <summary>AES-CMAC (RFC 4493) with a 128-bit key: BouncyCastle's <see cref="CMac"/> over AES.</summary>
public static class AesCmac
{
    public const int KeySize = 16;
    public const int MacSize = 16;

    public static byte[] Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message)
    {
        byte[] mac = new byte[MacSize];
        Compute(key, message, mac);
        return mac;
    }

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> mac)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"AES-CMAC needs a {KeySize}-byte key, got {key.Length} bytes", nameof(key));
        }

        var cmac = new CMac(new AesEngine());
        cmac.Init(new KeyParameter(key));
        cmac.BlockUpdate(message);
        cmac.DoFinal(mac);
    }
}
