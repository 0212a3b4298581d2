namespace Maebashi.Edge.Firmware.Link
{
    /// <summary>Message types on the validator–host link (the first byte after the address).</summary>
    public enum MessageType : byte
    {
        /// <summary>Validator → host: device id, firmware version, door, last seq, backlog. Sent until a Config answers it.</summary>
        Hello = 1,

        /// <summary>Validator → host: a tap; with <see cref="FrameFlags.Ask"/> it asks for a verdict, without it is the durable record.</summary>
        Tap = 2,

        /// <summary>Host → validator: accept/deny, reason, fare for the tap that asked.</summary>
        Verdict = 3,

        /// <summary>Host → validator: every recorded tap with seq ≤ upTo is stored by the host.</summary>
        Ack = 4,

        /// <summary>Host → validator: clock, verdict timeout, repeat window, antenna gain.</summary>
        Config = 5,

        /// <summary>Host → validator: device id, door, link address, sequence floor (kept in the validator's flash).</summary>
        Provision = 6,

        /// <summary>Host → validator: a poll with nothing to say; validator → host: nothing to say (backlog, status).</summary>
        Ping = 7,
    }

    /// <summary>Frame flags (byte 2).</summary>
    public enum FrameFlags : byte
    {
        None = 0,

        /// <summary>The validator has more to send: the host may poll it again at once.</summary>
        More = 0x01,

        /// <summary>On a Tap: asks for a verdict; the tap is not yet recorded.</summary>
        Ask = 0x02,

        /// <summary>Set on every frame a validator sends, so validators ignore each other's answers on the shared line.</summary>
        FromValidator = 0x80,
    }

    /// <summary>Validator status bits in Hello and Ping answers.</summary>
    public enum ValidatorStatus : byte
    {
        None = 0,
        ChipOk = 0x01,
        Provisioned = 0x02,
        ClockSynced = 0x04,
        StorageFull = 0x08,
    }

    /// <summary>
    /// Frame layout before COBS: [0] validator address [1] type [2] flags [3] sender's link seq [4] last link seq received
    /// from the peer [5..] payload [n-2..n-1] CRC-16/CCITT (big-endian) of bytes 0..n-3. On the wire: COBS, then 0x00.
    /// RS-485 half duplex: only the host starts a frame; a validator answers each frame addressed to it with exactly one
    /// frame, at once, so two validators never drive the line together.
    /// </summary>
    public static class LinkProtocol
    {
        public const int HeaderLength = 5;
        public const int CrcLength = 2;
        public const int MaxPayload = 64;
        public const int MaxRaw = HeaderLength + MaxPayload + CrcLength;
        public const int MaxEncoded = MaxRaw + 2;

        /// <summary>Address a validator answers to before it is provisioned.</summary>
        public const byte UnprovisionedAddress = 0x7F;

        /// <summary>Provisioning only: every validator takes it, so use it with one validator on the line.</summary>
        public const byte BroadcastAddress = 0x00;

        public const int MaxDeviceIdLength = 32;
        public const int FirmwareMajor = 1;
        /// <summary>1.1: a tap may carry the card's SUN message (<c>TapFlags.Sun</c>, e and c after the UID).</summary>
        public const int FirmwareMinor = 1;
        public const int FirmwarePatch = 0;

        // Payload offsets (absolute in the raw frame).
        public const int PayloadAt = HeaderLength;

        /// <summary>Builds a raw frame's header; returns the offset where the payload starts.</summary>
        public static int PutHeader(byte[] raw, byte address, MessageType type, FrameFlags flags, byte linkSeq, byte ackLinkSeq)
        {
            raw[0] = address;
            raw[1] = (byte)type;
            raw[2] = (byte)flags;
            raw[3] = linkSeq;
            raw[4] = ackLinkSeq;
            return PayloadAt;
        }

        /// <summary>Appends the CRC to a raw frame of <paramref name="length"/> bytes and COBS-encodes it with its 0x00
        /// delimiter into <paramref name="wire"/>; returns the wire length.</summary>
        public static int Seal(byte[] raw, int length, byte[] wire)
        {
            ushort crc = Crc16Ccitt.Compute(raw, 0, length);
            raw[length] = (byte)(crc >> 8);
            raw[length + 1] = (byte)crc;
            int n = Cobs.Encode(raw, 0, length + CrcLength, wire, 0);
            wire[n] = 0;
            return n + 1;
        }
    }

    /// <summary>Collects bytes from the line into frames: splits at 0x00, COBS-decodes, checks length and CRC.
    /// A damaged frame is dropped whole and counted; the next 0x00 resynchronises. Allocation-free.</summary>
    public sealed class FrameDecoder
    {
        private readonly byte[] _encoded = new byte[LinkProtocol.MaxEncoded + 8];
        private int _encodedLength;
        private bool _overflow;

        /// <summary>The last good frame (header, payload, CRC).</summary>
        public readonly byte[] Frame = new byte[LinkProtocol.MaxRaw + 8];

        /// <summary>Length of <see cref="Frame"/> without the CRC.</summary>
        public int Length { get; private set; }

        /// <summary>Frames dropped for a bad CRC, bad COBS or a bad length.</summary>
        public int Rejected { get; private set; }

        public MessageType Type
        {
            get { return (MessageType)Frame[1]; }
        }

        public FrameFlags Flags
        {
            get { return (FrameFlags)Frame[2]; }
        }

        public byte Address
        {
            get { return Frame[0]; }
        }

        /// <summary>Feeds one byte; returns true when it completed a good frame.</summary>
        public bool Push(byte b)
        {
            if (b != 0)
            {
                if (_encodedLength < _encoded.Length)
                {
                    _encoded[_encodedLength++] = b;
                }
                else
                {
                    _overflow = true;
                }

                return false;
            }

            int count = _encodedLength;
            bool overflow = _overflow;
            _encodedLength = 0;
            _overflow = false;
            if (count == 0)
            {
                return false;
            }

            int n = overflow ? -1 : Cobs.Decode(_encoded, 0, count, Frame, 0);
            if (n < LinkProtocol.HeaderLength + LinkProtocol.CrcLength)
            {
                Rejected++;
                return false;
            }

            int body = n - LinkProtocol.CrcLength;
            ushort crc = Crc16Ccitt.Compute(Frame, 0, body);
            if (Frame[body] != (byte)(crc >> 8) || Frame[body + 1] != (byte)crc)
            {
                Rejected++;
                return false;
            }

            Length = body;
            return true;
        }
    }
}
