namespace Maebashi.Edge.Firmware
{
    /// <summary>Little-endian field access on preallocated buffers (BitConverter would allocate arrays on the device).</summary>
    public static class Bytes
    {
        public static void PutU16(byte[] b, int i, int v)
        {
            b[i] = (byte)v;
            b[i + 1] = (byte)(v >> 8);
        }

        public static int GetU16(byte[] b, int i)
        {
            return b[i] | (b[i + 1] << 8);
        }

        public static void PutU32(byte[] b, int i, uint v)
        {
            b[i] = (byte)v;
            b[i + 1] = (byte)(v >> 8);
            b[i + 2] = (byte)(v >> 16);
            b[i + 3] = (byte)(v >> 24);
        }

        public static uint GetU32(byte[] b, int i)
        {
            return (uint)(b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
        }

        public static void PutI64(byte[] b, int i, long v)
        {
            PutU32(b, i, (uint)v);
            PutU32(b, i + 4, (uint)(v >> 32));
        }

        public static long GetI64(byte[] b, int i)
        {
            return (long)GetU32(b, i) | ((long)GetU32(b, i + 4) << 32);
        }

        public static bool Equal(byte[] a, int ai, byte[] b, int bi, int count)
        {
            for (int k = 0; k < count; k++)
            {
                if (a[ai + k] != b[bi + k])
                {
                    return false;
                }
            }

            return true;
        }

        public static void Fill(byte[] b, int offset, int count, byte value)
        {
            for (int k = 0; k < count; k++)
            {
                b[offset + k] = value;
            }
        }
    }
}
