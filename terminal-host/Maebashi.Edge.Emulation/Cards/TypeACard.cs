namespace Maebashi.Edge.Emulation.Cards;

/// <summary>ISO 14443-3 state of a Type A card (ISO/IEC 14443-3 figure 7).</summary>
public enum TypeAState
{
    Idle,
    Ready,
    Active,
    Halt,
}

/// <summary>
/// An ISO 14443 Type A card: anticollision and select at cascade levels 1–3 by its 4-, 7- or
/// 10-byte UID; commands after selection go to <see cref="Respond"/>.
/// </summary>
public class TypeACard : VirtualCard
{
    private readonly byte[] _uid;

    public TypeACard(ReadOnlySpan<byte> uid, ushort atqa = 0, byte sak = 0x20)
    {
        if (uid.Length is not (4 or 7 or 10))
        {
            throw new ArgumentException($"a Type A UID has 4, 7 or 10 bytes, not {uid.Length}", nameof(uid));
        }

        _uid = uid.ToArray();
        // ATQA bits 7-6 give the UID size: 00 single, 01 double, 10 triple (ISO 14443-3 6.5.2.1).
        Atqa = atqa != 0 ? atqa : (ushort)(0x0004 | (uid.Length == 4 ? 0x00 : uid.Length == 7 ? 0x40 : 0x80));
        Sak = sak;
    }

    public override CardAirInterface AirInterface => CardAirInterface.TypeA;

    public ReadOnlySpan<byte> Uid => _uid;

    public ushort Atqa { get; }

    /// <summary>SAK of the final cascade level (0x08 Classic 1K, 0x00 Ultralight, 0x20 ISO 14443-4).</summary>
    public byte Sak { get; }

    public TypeAState State { get; set; } = TypeAState.Idle;

    /// <summary>Cascade level (1–3) the card is at while <see cref="TypeAState.Ready"/>.</summary>
    public int CascadeLevel { get; set; } = 1;

    public int CascadeLevels => _uid.Length switch { 4 => 1, 7 => 2, _ => 3 };

    /// <summary>The 4 UID bytes the card sends at a cascade level (with the cascade tag 0x88 when more follow).</summary>
    public byte[] CascadeBytes(int level)
    {
        byte[] part = new byte[4];
        int levels = CascadeLevels;
        int offset = (level - 1) * 3;
        if (level < levels)
        {
            part[0] = 0x88;
            _uid.AsSpan(offset, 3).CopyTo(part.AsSpan(1));
        }
        else
        {
            _uid.AsSpan(offset, 4).CopyTo(part);
        }

        return part;
    }

    /// <summary>SAK at a cascade level: the cascade bit (0x04) until the last level.</summary>
    public byte SakAt(int level) => level < CascadeLevels ? (byte)0x04 : Sak;

    /// <summary>The card has been powered down (left the field) or deselected.</summary>
    public virtual void Reset()
    {
        State = TypeAState.Idle;
        CascadeLevel = 1;
    }

    /// <summary>
    /// A frame to the selected card, CRC already checked and removed. Returns the answer
    /// without CRC, a 4-bit ACK/NAK, or null for silence.
    /// </summary>
    public virtual CardAnswer? Respond(ReadOnlySpan<byte> frame) => null;

    /// <summary>MIFARE Classic authentication (the MFRC522's MFAuthent, the PN532's InDataExchange 0x60/0x61).</summary>
    public virtual bool Authenticate(byte keyCommand, byte block, ReadOnlySpan<byte> key, ReadOnlySpan<byte> uid) => false;

    public override string Describe() => $"Type A {_uid.Length}-byte UID {Convert.ToHexString(_uid)}";
}

/// <summary>What a card sends back: whole bytes with a CRC, or a 4-bit ACK/NAK.</summary>
public readonly record struct CardAnswer(byte[] Data, bool FourBit)
{
    public static CardAnswer Bytes(byte[] data) => new(data, false);

    public static CardAnswer Ack => new([0x0A], true);

    public static CardAnswer Nak => new([0x04], true);
}
