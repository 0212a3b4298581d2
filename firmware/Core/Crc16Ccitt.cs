namespace Maebashi.Edge.Firmware
{
    /// <summary>CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor): check value of "123456789" is 0x29B1.
    /// Bitwise, no table, so it costs no RAM on the device; frames are short.</summary>
    public static class Crc16Ccitt
    {
        public const ushort Initial = 0xFFFF;

        public static ushort Compute(byte[] data, int offset, int count)
        {
            return Update(Initial, data, offset, count);
        }

        public static ushort Update(ushort crc, byte[] data, int offset, int count)
        {
            int c = crc;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                c ^= data[i] << 8;
                for (int bit = 0; bit < 8; bit++)
                {
                    c = (c & 0x8000) != 0 ? ((c << 1) ^ 0x1021) & 0xFFFF : (c << 1) & 0xFFFF;
                }
            }

            return (ushort)c;
        }
    }
}
