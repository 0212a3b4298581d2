namespace Maebashi.Edge.Emulation.Cards;

/// <summary>The Ultralight/NTAG variants: page count and GET_VERSION answer.</summary>
public enum UltralightVariant
{
    /// <summary>MIFARE Ultralight (16 pages, no GET_VERSION).</summary>
    Ultralight,
    Ntag213,
    Ntag215,
    Ntag216,
}

/// <summary>
/// MIFARE Ultralight / NTAG21x: 7-byte UID, 4-byte pages; READ (0x30) answers 4 pages with
/// roll-over, WRITE (0xA2) and COMPATIBILITY WRITE (0xA0) write one page, GET_VERSION (0x60)
/// identifies NTAGs, READ_SIG (0x3C) answers a 32-byte signature.
/// </summary>
public sealed class UltralightTag : TypeACard
{
    private readonly byte[] _memory;
    private byte _pendingCompatibilityPage = 0xFF;

    public UltralightTag(ReadOnlySpan<byte> uid, UltralightVariant variant = UltralightVariant.Ntag213)
        : base(uid, 0x0044, 0x00)
    {
        if (uid.Length != 7)
        {
            throw new ArgumentException("an Ultralight/NTAG UID has 7 bytes", nameof(uid));
        }

        Variant = variant;
        int pages = variant switch
        {
            UltralightVariant.Ultralight => 16,
            UltralightVariant.Ntag213 => 45,
            UltralightVariant.Ntag215 => 135,
            _ => 231,
        };
        _memory = new byte[pages * 4];
        // Pages 0-2: UID with its two check bytes (BCC0 = CT ^ UID0..2, BCC1 = UID3..6).
        _memory[0] = uid[0];
        _memory[1] = uid[1];
        _memory[2] = uid[2];
        _memory[3] = (byte)(0x88 ^ uid[0] ^ uid[1] ^ uid[2]);
        uid.Slice(3, 4).CopyTo(_memory.AsSpan(4));
        _memory[8] = (byte)(uid[3] ^ uid[4] ^ uid[5] ^ uid[6]);
        _memory[9] = 0x48;
        // Capability container (page 3) with the NFC Forum magic number.
        _memory[12] = 0xE1;
        _memory[13] = 0x10;
        _memory[14] = (byte)((pages - 9) * 4 / 8);
    }

    public UltralightVariant Variant { get; }

    public int PageCount => _memory.Length / 4;

    public void SetPage(int page, ReadOnlySpan<byte> data)
    {
        if (page < 0 || page >= PageCount || data.Length != 4)
        {
            throw new ArgumentException($"page 0..{PageCount - 1} of 4 bytes");
        }

        data.CopyTo(_memory.AsSpan(page * 4));
    }

    public byte[] GetPage(int page) => _memory.AsSpan(page * 4, 4).ToArray();

    public override void Reset()
    {
        base.Reset();
        _pendingCompatibilityPage = 0xFF;
    }

    public override CardAnswer? Respond(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty)
        {
            return null;
        }

        if (_pendingCompatibilityPage != 0xFF)
        {
            int page = _pendingCompatibilityPage;
            _pendingCompatibilityPage = 0xFF;
            if (frame.Length != 16)
            {
                return CardAnswer.Nak;
            }

            frame[..4].CopyTo(_memory.AsSpan(page * 4));
            return CardAnswer.Ack;
        }

        switch (frame[0])
        {
            case 0x30 when frame.Length == 2:
                if (frame[1] >= PageCount)
                {
                    return CardAnswer.Nak;
                }

                byte[] answer = new byte[16];
                for (int i = 0; i < 16; i++)
                {
                    answer[i] = _memory[((frame[1] * 4) + i) % _memory.Length];
                }

                return CardAnswer.Bytes(answer);
            case 0xA2 when frame.Length == 6:
                if (frame[1] < 2 || frame[1] >= PageCount)
                {
                    return CardAnswer.Nak;
                }

                frame.Slice(2, 4).CopyTo(_memory.AsSpan(frame[1] * 4));
                return CardAnswer.Ack;
            case 0xA0 when frame.Length == 2:
                if (frame[1] < 2 || frame[1] >= PageCount)
                {
                    return CardAnswer.Nak;
                }

                _pendingCompatibilityPage = frame[1];
                return CardAnswer.Ack;
            case 0x60 when Variant != UltralightVariant.Ultralight:
                byte size = Variant switch { UltralightVariant.Ntag213 => 0x0F, UltralightVariant.Ntag215 => 0x11, _ => 0x13 };
                return CardAnswer.Bytes([0x00, 0x04, 0x04, 0x02, 0x01, 0x00, size, 0x03]);
            case 0x3C when Variant != UltralightVariant.Ultralight:
                return CardAnswer.Bytes(new byte[32]);
            case 0x50:
                State = TypeAState.Halt;
                return null;
            default:
                return CardAnswer.Nak;
        }
    }

    public override string Describe() => $"{Variant} UID {Convert.ToHexString(Uid)}";
}
