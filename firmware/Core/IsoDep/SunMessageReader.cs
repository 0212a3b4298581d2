namespace Maebashi.Edge.Firmware.IsoDep
{
    /// <summary>
    /// Reads the Secure Unique NFC message of an NTAG 424 DNA city card (NXP AN12196 §3, docs/contract.md §2): SELECT the
    /// NFC Forum Type 4 Tag application, SELECT its NDEF file (E104), READ BINARY its length and then its NDEF message,
    /// and takes the hex of the URL's <c>e</c> (encrypted PICC data, 16 bytes) and <c>c</c> (SDMMAC, 8 bytes)
    /// parameters. The reader holds no key: it only copies what the card mirrored. Allocation-free after construction.
    /// </summary>
    public sealed class SunMessageReader
    {
        public const int EncryptedLength = 16;
        public const int MacLength = 8;

        /// <summary>The largest NDEF message read: an NTAG 424 DNA's NDEF file is 256 bytes.</summary>
        private const int MaxNdef = 256;

        /// <summary>READ BINARY chunk: 59 bytes and the status word fill one 64-byte frame with its PCB and CRC_A, so an
        /// answer never needs chaining and the city card's message (about 87 bytes with NLEN) takes two reads.</summary>
        private const int Chunk = 59;

        // NFC Forum Type 4 Tag 2.0: the NDEF application (D2 76 00 00 85 01 01) and the NDEF file of an NTAG 424 DNA.
        private static readonly byte[] SelectApplication = new byte[] { 0x00, 0xA4, 0x04, 0x0C, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01 };
        private static readonly byte[] SelectNdefFile = new byte[] { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x04 };

        private readonly byte[] _apdu = new byte[16];
        private readonly byte[] _answer = new byte[MaxNdef + 2];
        private readonly byte[] _ndef = new byte[MaxNdef];

        /// <summary>
        /// Reads the card's SUN message into <paramref name="encrypted"/> (16 bytes) and <paramref name="mac"/> (8 bytes).
        /// False when the card has no such message (not an NTAG 424 DNA, no SDM, a copy of a UID) or the exchange failed.
        /// </summary>
        public bool TryRead(IApduTransport card, byte[] encrypted, byte[] mac)
        {
            if (!Command(card, SelectApplication) || !Command(card, SelectNdefFile))
            {
                return false;
            }

            // NLEN, the NDEF message's length, is the file's first two bytes (big-endian); the same READ BINARY brings the
            // message's start, which saves a round trip on the air (each costs the card's processing and two frames).
            int n = ReadBinary(card, 0, Chunk);
            if (n < 2)
            {
                return false;
            }

            int length = (_answer[0] << 8) | _answer[1];
            if (length < 1 || length > MaxNdef - 2)
            {
                return false;
            }

            int read = n - 2 < length ? n - 2 : length;
            for (int k = 0; k < read; k++)
            {
                _ndef[k] = _answer[2 + k];
            }

            while (read < length)
            {
                int wanted = length - read;
                if (wanted > Chunk)
                {
                    wanted = Chunk;
                }

                n = ReadBinary(card, 2 + read, wanted);
                if (n < 1 || n > wanted)
                {
                    return false;
                }

                for (int k = 0; k < n; k++)
                {
                    _ndef[read + k] = _answer[k];
                }

                read += n;
            }

            return Parameter(_ndef, length, (byte)'e', encrypted, EncryptedLength) && Parameter(_ndef, length, (byte)'c', mac, MacLength);
        }

        private bool Command(IApduTransport card, byte[] apdu)
        {
            int n = card.Exchange(apdu, apdu.Length, _answer);
            return n == 2 && _answer[0] == 0x90 && _answer[1] == 0x00;
        }

        /// <summary>READ BINARY (ISO/IEC 7816-4 B0) of <paramref name="count"/> bytes at <paramref name="offset"/>; the data's length, or -1.</summary>
        private int ReadBinary(IApduTransport card, int offset, int count)
        {
            _apdu[0] = 0x00;
            _apdu[1] = 0xB0;
            _apdu[2] = (byte)(offset >> 8);
            _apdu[3] = (byte)offset;
            _apdu[4] = (byte)count;
            int n = card.Exchange(_apdu, 5, _answer);
            if (n < 2 || _answer[n - 2] != 0x90 || _answer[n - 1] != 0x00)
            {
                return -1;
            }

            return n - 2;
        }

        /// <summary>
        /// Finds <c>?name=</c> or <c>&amp;name=</c> in the message and decodes the <paramref name="bytes"/> × 2 hex digits
        /// after it (either case) into <paramref name="into"/>.
        /// </summary>
        private static bool Parameter(byte[] text, int length, byte name, byte[] into, int bytes)
        {
            for (int i = 1; i + 2 + (bytes * 2) <= length; i++)
            {
                if (text[i] != name || text[i + 1] != (byte)'=' || (text[i - 1] != (byte)'?' && text[i - 1] != (byte)'&'))
                {
                    continue;
                }

                int at = i + 2;
                for (int k = 0; k < bytes; k++)
                {
                    int high = HexValue(text[at + (2 * k)]);
                    int low = HexValue(text[at + (2 * k) + 1]);
                    if (high < 0 || low < 0)
                    {
                        return false;
                    }

                    into[k] = (byte)((high << 4) | low);
                }

                // The value ends there: a longer one is not the SUN message this reader knows.
                int end = at + (bytes * 2);
                return end == length || text[end] == (byte)'&';
            }

            return false;
        }

        private static int HexValue(byte c)
        {
            if (c >= (byte)'0' && c <= (byte)'9')
            {
                return c - '0';
            }

            if (c >= (byte)'A' && c <= (byte)'F')
            {
                return c - 'A' + 10;
            }

            if (c >= (byte)'a' && c <= (byte)'f')
            {
                return c - 'a' + 10;
            }

            return -1;
        }
    }
}
