namespace Maebashi.Edge.Firmware
{
    /// <summary>Consistent Overhead Byte Stuffing (Cheshire and Baker, 1999): the encoded frame holds no 0x00,
    /// so 0x00 delimits frames on the wire and a receiver resynchronises at the next 0x00 after any damage.</summary>
    public static class Cobs
    {
        /// <summary>Worst-case encoded length for <paramref name="length"/> input bytes (without the 0x00 delimiter).</summary>
        public static int MaxEncodedLength(int length)
        {
            return length + (length / 254) + 1;
        }

        /// <summary>Encodes <paramref name="count"/> bytes into <paramref name="output"/>; returns the encoded length (no delimiter written).</summary>
        public static int Encode(byte[] input, int offset, int count, byte[] output, int outOffset)
        {
            int write = outOffset + 1;
            int codeIndex = outOffset;
            byte code = 1;
            int end = offset + count;
            for (int i = offset; i < end; i++)
            {
                byte b = input[i];
                if (b == 0)
                {
                    output[codeIndex] = code;
                    codeIndex = write++;
                    code = 1;
                    continue;
                }

                output[write++] = b;
                code++;
                if (code == 0xFF)
                {
                    output[codeIndex] = code;
                    codeIndex = write++;
                    code = 1;
                }
            }

            output[codeIndex] = code;
            return write - outOffset;
        }

        /// <summary>Decodes a frame (delimiter excluded); returns the decoded length, or -1 when the bytes are not valid COBS
        /// or do not fit in <paramref name="output"/>.</summary>
        public static int Decode(byte[] input, int offset, int count, byte[] output, int outOffset)
        {
            int read = offset;
            int end = offset + count;
            int write = outOffset;
            while (read < end)
            {
                int code = input[read++];
                if (code == 0)
                {
                    return -1;
                }

                for (int i = 1; i < code; i++)
                {
                    if (read >= end || write >= output.Length)
                    {
                        return -1;
                    }

                    byte b = input[read++];
                    if (b == 0)
                    {
                        return -1;
                    }

                    output[write++] = b;
                }

                if (code != 0xFF && read < end)
                {
                    if (write >= output.Length)
                    {
                        return -1;
                    }

                    output[write++] = 0;
                }
            }

            return write - outOffset;
        }
    }
}
