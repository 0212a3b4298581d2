namespace Maebashi.Edge.Emulation.Cards;

/// <summary>
/// A Type A card that speaks ISO/IEC 14443-4 (SAK bit 6): APDUs go to <see cref="ProcessApdu"/>. A PN532 runs the block
/// protocol itself and hands over APDUs; an MFRC522 only moves frames, so <see cref="Respond"/> plays the card's side
/// of the protocol for it: RATS/ATS, I-blocks with chaining both ways, R(ACK)/R(NAK), S(WTX) and S(DESELECT).
/// </summary>
public abstract class IsoDepTypeACard : TypeACard
{
    // ATS: TL 5, T0 = TA, TB, TC present and FSCI 5 (64 bytes, so longer answers are chained), TA 00 (106 kbps only),
    // TB FWI 7 (≈ 39 ms) SFGI 0, TC 02 (CID not supported).
    private static readonly byte[] Ats = [0x05, 0x75, 0x00, 0x70, 0x02];

    private readonly List<byte> _command = [];
    private byte[]? _pendingAnswer;
    private int _answerSent;
    private int _fsd = 256;
    private bool _activated;
    private byte[] _lastBlock = [];

    protected IsoDepTypeACard(ReadOnlySpan<byte> uid, ushort atqa = 0x0344)
        : base(uid, atqa, sak: 0x20)
    {
    }

    /// <summary>Ask for this many S(WTX) before each answer over the block protocol (a slow card; tests of the PCD's WTX handling).</summary>
    public int WaitingTimeExtensions { get; set; }

    private int _wtxPending;

    /// <summary>Frames the card has answered at the block level (tests check the protocol ran).</summary>
    public int BlocksAnswered { get; private set; }

    /// <summary>The timing model's default time a card takes over one APDU before it answers (an assumption of the model,
    /// see <see cref="RadioTiming"/>): 1 ms.</summary>
    public const double DefaultApduMicroseconds = 1000;

    /// <summary>The card's processing before its last answer, for the emulated timing model: an APDU's time for the block
    /// that carried the APDU's answer (or its first part), 0 for R- and S-block answers.</summary>
    public double LastProcessingMicroseconds { get; private set; }

    /// <summary>How long the card works on <paramref name="apdu"/> before answering, in the timing model. Asked before
    /// <see cref="ProcessApdu"/> runs it.</summary>
    public virtual double ApduProcessingMicroseconds(ReadOnlySpan<byte> apdu) => DefaultApduMicroseconds;

    /// <summary>An ISO/IEC 7816-4 command APDU; returns the response with SW1 SW2.</summary>
    public abstract byte[] ProcessApdu(ReadOnlySpan<byte> apdu);

    /// <summary>The card was activated (RATS, or a PN532's automatic RATS): a new session.</summary>
    protected virtual void OnActivated()
    {
    }

    /// <summary>A PN532 activates the card itself (automatic RATS at InListPassiveTarget).</summary>
    public void ActivateByReader()
    {
        _activated = true;
        OnActivated();
    }

    public override void Reset()
    {
        base.Reset();
        _activated = false;
        _command.Clear();
        _pendingAnswer = null;
    }

    public override CardAnswer? Respond(ReadOnlySpan<byte> frame)
    {
        if (frame.Length == 0)
        {
            return null;
        }

        BlocksAnswered++;
        LastProcessingMicroseconds = 0;
        if (!_activated)
        {
            if (frame[0] != 0xE0 || frame.Length != 2)
            {
                return null;
            }

            // FSDI (ISO/IEC 14443-4 5.6.2): the reader's frame size for our answers.
            int[] fsd = [16, 24, 32, 40, 48, 64, 96, 128, 256];
            _fsd = fsd[Math.Min(frame[1] >> 4, fsd.Length - 1)];
            _activated = true;
            OnActivated();
            return Block(Ats);
        }

        byte pcb = frame[0];
        switch (pcb & 0xC0)
        {
            case 0x00 when (pcb & 0x02) != 0: // I-block
                return IBlock(pcb, frame[1..]);
            case 0x80: // R-block
                if ((pcb & 0x10) != 0)
                {
                    // R(NAK): the reader lost our last block.
                    return Block(_lastBlock);
                }

                if (_pendingAnswer is not null)
                {
                    // R(ACK) during our chaining: the next part.
                    return NextAnswerPart((byte)(pcb & 0x01));
                }

                return Block(_lastBlock);
            case 0xC0:
                if ((pcb & 0xF7) == 0xC2)
                {
                    // S(DESELECT): answered, then the card is halted (ISO/IEC 14443-4 8).
                    _activated = false;
                    State = TypeAState.Halt;
                    return Block([0xC2]);
                }

                if ((pcb & 0xF7) == 0xF2 && _pendingAnswer is not null)
                {
                    // The reader granted the extension: the answer now.
                    return _wtxPending-- > 0 ? Block([0xF2, 0x01]) : NextAnswerPart(_answerBlockNumber);
                }

                return null;
            default:
                return null;
        }
    }

    private byte _answerBlockNumber;

    private CardAnswer IBlock(byte pcb, ReadOnlySpan<byte> information)
    {
        byte blockNumber = (byte)(pcb & 0x01);
        _command.AddRange(information);
        if ((pcb & 0x10) != 0)
        {
            // Chained: acknowledge and wait for the rest.
            return Block([(byte)(0xA2 | blockNumber)]);
        }

        byte[] apdu = [.. _command];
        _command.Clear();
        LastProcessingMicroseconds = ApduProcessingMicroseconds(apdu);
        _pendingAnswer = ProcessApdu(apdu);
        _answerSent = 0;
        _answerBlockNumber = blockNumber;
        if (WaitingTimeExtensions > 0)
        {
            _wtxPending = WaitingTimeExtensions - 1;
            return Block([0xF2, 0x01]);
        }

        return NextAnswerPart(blockNumber);
    }

    /// <summary>The next I-block of the pending answer, chained while more remains (at most FSD − 3 bytes each).</summary>
    private CardAnswer NextAnswerPart(byte blockNumber)
    {
        byte[] answer = _pendingAnswer!;
        int room = _fsd - 3;
        int part = Math.Min(room, answer.Length - _answerSent);
        bool more = _answerSent + part < answer.Length;
        byte[] block = [(byte)(0x02 | blockNumber | (more ? 0x10 : 0x00)), .. answer.AsSpan(_answerSent, part)];
        _answerSent += part;
        if (!more)
        {
            _pendingAnswer = null;
        }

        return Block(block);
    }

    private CardAnswer Block(byte[] block)
    {
        _lastBlock = block;
        return CardAnswer.Bytes(block);
    }
}
