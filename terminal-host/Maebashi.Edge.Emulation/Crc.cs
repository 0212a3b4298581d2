namespace Maebashi.Edge.Emulation;

/// <summary>The ISO 14443 CRCs the chips compute: CRC_A (preset 0x6363) and CRC_B (preset 0xFFFF, inverted).</summary>
public static class Iso14443Crc
{
    /// <summary>CRC over <paramref name="data"/> with the given preset, low byte first as sent on air.</summary>
    public static (byte Low, byte High) Compute(ReadOnlySpan<byte> data, ushort preset = 0x6363)
    {
        uint crc = preset;
        foreach (byte value in data)
        {
            byte b = (byte)(value ^ (byte)(crc & 0xFF));
            b ^= (byte)(b << 4);
            crc = (crc >> 8) ^ ((uint)b << 8) ^ ((uint)b << 3) ^ ((uint)b >> 4);
            crc &= 0xFFFF;
        }

        return ((byte)(crc & 0xFF), (byte)(crc >> 8));
    }

    /// <summary>The frame with its CRC_A appended.</summary>
    public static byte[] AppendCrcA(ReadOnlySpan<byte> data)
    {
        var (low, high) = Compute(data);
        byte[] frame = new byte[data.Length + 2];
        data.CopyTo(frame);
        frame[^2] = low;
        frame[^1] = high;
        return frame;
    }

    /// <summary>Whether the last two bytes are the CRC_A of the rest.</summary>
    public static bool CheckCrcA(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 3)
        {
            return false;
        }

        var (low, high) = Compute(frame[..^2]);
        return frame[^2] == low && frame[^1] == high;
    }
}
