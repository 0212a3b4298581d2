namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// MIFARE Classic 1K: 16 sectors × 4 blocks of 16 bytes, keys A/B in each sector trailer.
/// Crypto1 is not emulated on air; authentication compares the key the reader offers with the
/// sector trailer's, so a wrong key fails as on a real card.
/// </summary>
public sealed class MifareClassic1KCard : TypeACard
{
    public static readonly byte[] DefaultKey = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

    private readonly byte[][] _blocks = new byte[64][];
    private int _authenticatedSector = -1;
    private byte _pendingWriteBlock = 0xFF;

    public MifareClassic1KCard(ReadOnlySpan<byte> uid, byte[]? keyA = null, byte[]? keyB = null)
        : base(uid, 0x0004, 0x08)
    {
        keyA ??= DefaultKey;
        keyB ??= DefaultKey;
        for (int block = 0; block < 64; block++)
        {
            _blocks[block] = new byte[16];
            if (block % 4 == 3)
            {
                keyA.CopyTo(_blocks[block], 0);
                // Transport access bits FF 07 80, general purpose byte 69.
                _blocks[block][6] = 0xFF;
                _blocks[block][7] = 0x07;
                _blocks[block][8] = 0x80;
                _blocks[block][9] = 0x69;
                keyB.CopyTo(_blocks[block], 10);
            }
        }

        // Manufacturer block: UID (first 4 bytes), BCC, SAK, ATQA.
        uid[..4].CopyTo(_blocks[0]);
        _blocks[0][4] = (byte)(uid[0] ^ uid[1] ^ uid[2] ^ uid[3]);
        _blocks[0][5] = 0x08;
        _blocks[0][6] = 0x04;
    }

    public bool IsAuthenticated => _authenticatedSector >= 0;

    public void SetBlock(int block, ReadOnlySpan<byte> data)
    {
        if (block is < 0 or > 63 || data.Length != 16)
        {
            throw new ArgumentException("a MIFARE Classic 1K block is 0..63 and 16 bytes");
        }

        data.CopyTo(_blocks[block]);
    }

    public byte[] GetBlock(int block) => (byte[])_blocks[block].Clone();

    public override void Reset()
    {
        base.Reset();
        _authenticatedSector = -1;
        _pendingWriteBlock = 0xFF;
    }

    public override bool Authenticate(byte keyCommand, byte block, ReadOnlySpan<byte> key, ReadOnlySpan<byte> uid)
    {
        _authenticatedSector = -1;
        if (State != TypeAState.Active || block > 63 || key.Length != 6 || uid.Length < 4 || !uid[..4].SequenceEqual(CascadeBytesOfUid()))
        {
            return false;
        }

        byte[] trailer = _blocks[(block / 4 * 4) + 3];
        ReadOnlySpan<byte> expected = keyCommand == 0x60 ? trailer.AsSpan(0, 6) : keyCommand == 0x61 ? trailer.AsSpan(10, 6) : default;
        if (expected.IsEmpty || !expected.SequenceEqual(key))
        {
            // A real card stops answering after a failed authentication until it is selected again.
            State = TypeAState.Idle;
            return false;
        }

        _authenticatedSector = block / 4;
        return true;
    }

    // The UID bytes a reader uses for Crypto1: the last cascade level's four bytes (NXP AN10927).
    private byte[] CascadeBytesOfUid() => Uid.Length == 4 ? Uid.ToArray() : Uid[^4..].ToArray();

    public override CardAnswer? Respond(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty)
        {
            return null;
        }

        if (_pendingWriteBlock != 0xFF)
        {
            byte target = _pendingWriteBlock;
            _pendingWriteBlock = 0xFF;
            if (frame.Length != 16)
            {
                return CardAnswer.Nak;
            }

            frame.CopyTo(_blocks[target]);
            return CardAnswer.Ack;
        }

        switch (frame[0])
        {
            case 0x30 when frame.Length == 2:
                return frame[1] < 64 && _authenticatedSector == frame[1] / 4 ? CardAnswer.Bytes(ReadBlock(frame[1])) : CardAnswer.Nak;
            case 0xA0 when frame.Length == 2:
                if (frame[1] < 64 && frame[1] != 0 && _authenticatedSector == frame[1] / 4)
                {
                    _pendingWriteBlock = frame[1];
                    return CardAnswer.Ack;
                }

                return CardAnswer.Nak;
            case 0xA0 when frame.Length == 18:
                // PN532 InDataExchange sends the write command and its 16 bytes in one frame.
                if (frame[1] < 64 && frame[1] != 0 && _authenticatedSector == frame[1] / 4)
                {
                    frame.Slice(2, 16).CopyTo(_blocks[frame[1]]);
                    return CardAnswer.Ack;
                }

                return CardAnswer.Nak;
            case 0x50:
                State = TypeAState.Halt;
                _authenticatedSector = -1;
                return null;
            default:
                return CardAnswer.Nak;
        }
    }

    private byte[] ReadBlock(int block)
    {
        byte[] data = (byte[])_blocks[block].Clone();
        if (block % 4 == 3)
        {
            // Keys A are never readable; key B only when the access bits allow (not emulated: hidden).
            Array.Clear(data, 0, 6);
            Array.Clear(data, 10, 6);
        }

        return data;
    }

    public override string Describe() => $"MIFARE Classic 1K {Uid.Length}-byte UID {Convert.ToHexString(Uid)}";
}
