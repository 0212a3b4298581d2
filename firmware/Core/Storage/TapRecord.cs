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

        /// <summary>The card mirrored a SUN message on this read (an NTAG 424 DNA city card): the record carries its
        /// <c>e</c> and <c>c</c> (docs/contract.md §2). Firmware 1.1 and later.</summary>
        Sun = 0x04,
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

        /// <summary>The SUN message's encrypted PICC data (<c>e</c>) and SDMMAC (<c>c</c>).</summary>
        public const int SunEncryptedLength = 16;
        public const int SunMacLength = 8;

        public uint Seq;
        public long UnixMs;
        public byte Door;
        public TapDecision Decision;
        public TapFlags Flags;
        public TapReason Reason;
        public int FareYen;
        public int UidLength;
        public readonly byte[] Uid = new byte[MaxUidLength];

        /// <summary>Meaningful when <see cref="Flags"/> has <see cref="TapFlags.Sun"/>; the validator only copies what the
        /// card mirrored (it holds no key).</summary>
        public readonly byte[] SunEncrypted = new byte[SunEncryptedLength];
        public readonly byte[] SunMac = new byte[SunMacLength];

        public bool HasSun
        {
            get { return (Flags & TapFlags.Sun) != 0; }
        }

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

            for (int i = 0; i < SunEncryptedLength; i++)
            {
                SunEncrypted[i] = other.SunEncrypted[i];
            }

            for (int i = 0; i < SunMacLength; i++)
            {
                SunMac[i] = other.SunMac[i];
            }
        }

        public bool SameContent(TapRecord other)
        {
            return Seq == other.Seq && UnixMs == other.UnixMs && Door == other.Door && Decision == other.Decision
                && Flags == other.Flags && Reason == other.Reason && FareYen == other.FareYen && UidLength == other.UidLength
                && Bytes.Equal(Uid, 0, other.Uid, 0, UidLength)
                && (!HasSun || (Bytes.Equal(SunEncrypted, 0, other.SunEncrypted, 0, SunEncryptedLength) && Bytes.Equal(SunMac, 0, other.SunMac, 0, SunMacLength)));
        }
    }
}
