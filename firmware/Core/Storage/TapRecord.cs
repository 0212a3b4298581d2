namespace Maebashi.Edge.Firmware.Storage
{
    /// <summary>What the validator decided for a tap. Values are the wire values too.</summary>
    public enum TapDecision : byte
    {
        None = 0,
        Accept = 1,
        Deny = 2,
    }

    /// <summary>Tap flags (wire and flash).</summary>
    public enum TapFlags : byte
    {
        None = 0,

        /// <summary>No verdict from the host within the verdict timeout: accepted by the validator on its own.</summary>
        Offline = 0x01,

        /// <summary>The validator's clock was never set by the host; the time is its own RTC.</summary>
        ClockUnsynced = 0x02,
    }

    /// <summary>Reasons a validator or host gives with a verdict (wire values).</summary>
    public enum TapReason : byte
    {
        None = 0,
        DenyListed = 1,
        InsufficientValue = 2,
        UnknownCard = 3,
        StorageFull = 4,
        OutOfService = 5,
    }

    /// <summary>One tap, reused (no allocation per tap). Also the flash record's content.</summary>
    public sealed class TapRecord
    {
        public const int MaxUidLength = 10;

        public uint Seq;
        public long UnixMs;
        public byte Door;
        public TapDecision Decision;
        public TapFlags Flags;
        public TapReason Reason;
        public int FareYen;
        public int UidLength;
        public readonly byte[] Uid = new byte[MaxUidLength];

        public void CopyFrom(TapRecord other)
        {
            Seq = other.Seq;
            UnixMs = other.UnixMs;
            Door = other.Door;
            Decision = other.Decision;
            Flags = other.Flags;
            Reason = other.Reason;
            FareYen = other.FareYen;
            UidLength = other.UidLength;
            for (int i = 0; i < MaxUidLength; i++)
            {
                Uid[i] = other.Uid[i];
            }
        }

        public bool SameContent(TapRecord other)
        {
            return Seq == other.Seq && UnixMs == other.UnixMs && Door == other.Door && Decision == other.Decision
                && Flags == other.Flags && Reason == other.Reason && FareYen == other.FareYen && UidLength == other.UidLength
                && Bytes.Equal(Uid, 0, other.Uid, 0, UidLength);
        }
    }
}
