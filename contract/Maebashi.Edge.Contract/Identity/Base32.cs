namespace Maebashi.Edge.Contract.Identity;

/// <summary>RFC 4648 base32, uppercase alphabet, no padding (the sector ID encoding of docs/contract.md §2).</summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string EncodeNoPad(ReadOnlySpan<byte> data)
    {
        int chars = (data.Length * 8 + 4) / 5;
        Span<char> output = chars <= 256 ? stackalloc char[chars] : new char[chars];
        int buffer = 0, bits = 0, o = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output[o++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            output[o++] = Alphabet[(buffer << (5 - bits)) & 31];
        }

        return new string(output[..o]);
    }
}
