using Maebashi.Edge.Emulation.Cards;
using static Maebashi.Edge.Emulation.Mfrc522.Mfrc522Registers;

namespace Maebashi.Edge.Emulation.Mfrc522;

/// <summary>
/// An MFRC522 emulated at register, FIFO and command level: the 64-byte FIFO, ComIrq/DivIrq
/// with their Set1 write semantics, the timer (TimerIRq when no card answers), the CRC
/// coprocessor (CRC_A with ModeReg's preset), Transceive with TxLastBits framing, MFAuthent,
/// SoftReset, and ISO 14443-3 Type A towards the cards of an <see cref="RfField"/> (REQA/WUPA,
/// anticollision and select at cascade levels 1–3 with collisions, HLTA). Any other frame goes to the selected card
/// with its CRC_A checked, so an ISO/IEC 14443-4 card (<see cref="IsoDepTypeACard"/>) answers RATS, I-, R- and S-blocks
/// (chaining, WTX, DESELECT) to a driver that runs the block protocol over Transceive. Each Transceive adds its air time
/// to the field by the emulated timing model (<see cref="RadioTiming"/>; the timer's period when nobody answers).
/// </summary>
/// <remarks>
/// This is the register file a driver talks to; the bus adapters (<see cref="Mfrc522SpiDevice"/>,
/// <see cref="Mfrc522I2cDevice"/>, <see cref="Mfrc522SerialPort"/>) only translate framing.
/// Another driver (the firmware's) can call <see cref="ReadRegister"/>/<see cref="WriteRegister"/>
/// directly. Thread-safe: one lock around every register access.
/// </remarks>
public sealed class Mfrc522Chip
{
    private const int FifoSize = 64;

    private readonly Lock _gate = new();
    private readonly byte[] _registers = new byte[64];
    private readonly Queue<byte> _fifo = new();
    private TypeACard? _selected;
    private double _cardProcessingMicroseconds;
    private bool _answering = true;
    private bool _softResetRecovers;
    private byte _stuckValue;

    public Mfrc522Chip(RfField field, byte version = 0x92)
    {
        Field = field ?? throw new ArgumentNullException(nameof(field));
        VersionValue = version;
        PowerOnDefaults();
    }

    public RfField Field { get; }

    /// <summary>What VersionReg reads: 0x91 (v1.0), 0x92 (v2.0); clones answer e.g. 0x12 or 0x00.</summary>
    public byte VersionValue { get; set; }

    /// <summary>Whether the chip answers on its bus (false after <see cref="StopAnswering"/>).</summary>
    public bool IsAnswering
    {
        get
        {
            lock (_gate)
            {
                return _answering;
            }
        }
    }

    /// <summary>Hard resets seen on the reset pin (NRSTPD low then high).</summary>
    public int HardResets { get; private set; }

    /// <summary>SoftReset commands executed.</summary>
    public int SoftResets { get; private set; }

    /// <summary>Transceive commands started (one per frame sent to the air).</summary>
    public long Transceives { get; private set; }

    /// <summary>
    /// Fault: the chip stops answering (the known MFRC522 lock-up): reads return
    /// <paramref name="stuckValue"/> (what a floating MISO gives), writes are lost, the I²C
    /// address is not acknowledged. A hard reset always recovers it; a soft reset only when
    /// <paramref name="softResetRecovers"/> (its command decoder still listens).
    /// </summary>
    public void StopAnswering(bool softResetRecovers = true, byte stuckValue = 0x00)
    {
        lock (_gate)
        {
            _answering = false;
            _softResetRecovers = softResetRecovers;
            _stuckValue = stuckValue;
        }
    }

    /// <summary>The reset pin went low and back high: power-on state, answering again.</summary>
    public void HardReset()
    {
        lock (_gate)
        {
            HardResets++;
            _answering = true;
            PowerOnDefaults();
        }
    }

    /// <summary>Reads a register (0x00..0x3F) as the chip's bus would; FifoDataReg pops the FIFO.</summary>
    public byte ReadRegister(byte address)
    {
        lock (_gate)
        {
            return _answering ? Read((byte)(address & 0x3F)) : _stuckValue;
        }
    }

    /// <summary>Writes a register (0x00..0x3F) as the chip's bus would, running any command it starts.</summary>
    public void WriteRegister(byte address, byte value)
    {
        lock (_gate)
        {
            address &= 0x3F;
            if (!_answering)
            {
                if (_softResetRecovers && address == Command && (value & 0x0F) == CmdSoftReset)
                {
                    _answering = true;
                    Write(address, value);
                }

                return;
            }

            Write(address, value);
        }
    }

    /// <summary>A copy of the FIFO's contents without consuming them (for tests and diagnostics).</summary>
    public byte[] PeekFifo()
    {
        lock (_gate)
        {
            return [.. _fifo];
        }
    }

    /// <summary>
    /// The timer's period in microseconds from TPrescaler/TReload (TPrescalerHi in TModeReg):
    /// (TPrescaler × 2 + 1) × (TReload + 1) / 13.56 MHz.
    /// </summary>
    public double TimerPeriodMicroseconds
    {
        get
        {
            lock (_gate)
            {
                return TimerPeriod();
            }
        }
    }

    private double TimerPeriod()
    {
        int prescaler = ((_registers[TMode] & 0x0F) << 8) | _registers[TPrescaler];
        int reload = (_registers[TReloadHigh] << 8) | _registers[TReloadLow];
        return ((prescaler * 2) + 1) * (reload + 1) / 13.56;
    }

    private void PowerOnDefaults()
    {
        Array.Clear(_registers);
        _fifo.Clear();
        _selected = null;
        // Reset values from the datasheet's register tables.
        _registers[Command] = 0x20;
        _registers[ComIEn] = 0x80;
        _registers[ComIrq] = 0x14;
        _registers[WaterLevel] = 0x08;
        _registers[Control] = 0x10;
        _registers[Mode] = 0x3F;
        _registers[TxControl] = 0x80;
        _registers[0x16] = 0x10; // TxSel
        _registers[0x17] = 0x84; // RxSel
        _registers[0x18] = 0x84; // RxThreshold
        _registers[0x19] = 0x4D; // Demod
        _registers[0x1C] = 0x62; // MfTx
        _registers[CrcResultHigh] = 0xFF;
        _registers[CrcResultLow] = 0xFF;
        _registers[0x24] = 0x26; // ModWidth
        _registers[RFCfg] = 0x48;
        _registers[0x27] = 0x88; // GsN
        _registers[0x28] = 0x20; // CWGsP
        _registers[0x29] = 0x20; // ModGsP
    }

    private byte Read(byte address)
    {
        switch (address)
        {
            case FifoData:
                return _fifo.Count > 0 ? _fifo.Dequeue() : (byte)0;
            case FifoLevel:
                return (byte)_fifo.Count;
            case VersionReg:
                return VersionValue;
            case Status1:
                // CRCReady | CRCOk and the FIFO water-level flags.
                return (byte)(0x20 | 0x10 | (_fifo.Count <= _registers[WaterLevel] ? 0x01 : 0) | (_fifo.Count >= FifoSize - _registers[WaterLevel] ? 0x02 : 0));
            default:
                return _registers[address];
        }
    }

    private void Write(byte address, byte value)
    {
        switch (address)
        {
            case Command:
                // RcvOff, PowerDown and the command; the command runs at once (the air is instantaneous here).
                _registers[Command] = (byte)(value & 0x3F);
                RunCommand((byte)(value & 0x0F));
                break;
            case ComIrq:
            case DivIrq:
                // Bit 7 (Set1/Set2): 1 sets the bits marked 1, 0 clears them.
                byte mask = (byte)(value & 0x7F);
                _registers[address] = (value & 0x80) != 0 ? (byte)(_registers[address] | mask) : (byte)(_registers[address] & ~mask);
                break;
            case FifoData:
                if (_fifo.Count >= FifoSize)
                {
                    _registers[Error] |= ErrBufferOvfl;
                }
                else
                {
                    _fifo.Enqueue(value);
                }

                break;
            case FifoLevel:
                if ((value & 0x80) != 0)
                {
                    _fifo.Clear();
                    _registers[Error] &= unchecked((byte)~ErrBufferOvfl);
                }

                break;
            case Error:
            case Status1:
            case VersionReg:
            case CrcResultHigh:
            case CrcResultLow:
                break; // read-only
            case Status2:
                // Only MFCrypto1On (cleared by software) and the two I2C/temperature bits are writable.
                _registers[Status2] = (byte)(value & 0xC8);
                break;
            case BitFraming:
                _registers[BitFraming] = value;
                if ((value & 0x80) != 0 && (_registers[Command] & 0x0F) == CmdTransceive)
                {
                    Transceive();
                }

                break;
            default:
                _registers[address] = value;
                break;
        }
    }

    private void RunCommand(byte command)
    {
        switch (command)
        {
            case CmdIdle:
                break;
            case CmdSoftReset:
                SoftResets++;
                byte version = VersionValue;
                PowerOnDefaults();
                VersionValue = version;
                break;
            case CmdCalcCrc:
                CalculateCrc();
                break;
            case CmdMfAuthent:
                Authenticate();
                break;
            case CmdTransceive:
                // Waits for StartSend in BitFramingReg.
                if ((_registers[BitFraming] & 0x80) != 0)
                {
                    Transceive();
                }

                break;
            default:
                // Mem, GenerateRandomID, Transmit, Receive: not used by the drivers this emulator serves; complete at once.
                _registers[ComIrq] |= IrqIdle;
                _registers[Command] &= 0xF0;
                break;
        }
    }

    private ushort CrcPreset => (_registers[Mode] & 0x03) switch
    {
        0 => 0x0000,
        1 => 0x6363,
        2 => 0xA671,
        _ => 0xFFFF,
    };

    private void CalculateCrc()
    {
        byte[] data = [.. _fifo];
        _fifo.Clear();
        var (low, high) = Iso14443Crc.Compute(data, CrcPreset);
        _registers[CrcResultLow] = low;
        _registers[CrcResultHigh] = high;
        _registers[DivIrq] |= DivIrqCrc;
    }

    private bool AntennaOn => (_registers[TxControl] & 0x03) == 0x03;

    private void Authenticate()
    {
        byte[] data = [.. _fifo];
        _fifo.Clear();
        _registers[Error] = 0;
        if (data.Length >= 12 && AntennaOn && _selected is { } card && Field.Present<TypeACard>().Contains(card)
            && card.Authenticate(data[0], data[1], data.AsSpan(2, 6), data.AsSpan(8, 4))
            && Field.OnAnswer(card, [0x00]) is not null)
        {
            _registers[Status2] |= MfCrypto1On;
            _registers[ComIrq] |= IrqIdle;
            _registers[Command] &= 0xF0;
            return;
        }

        // The card stays silent: the command runs until the timer expires.
        _registers[ComIrq] |= IrqTimer | IrqErr;
        _registers[Error] |= ErrProtocol;
    }

    private void Transceive()
    {
        Transceives++;
        byte[] sent = [.. _fifo];
        _fifo.Clear();
        int txLastBits = _registers[BitFraming] & 0x07;
        _registers[Error] = 0;
        _registers[Control] &= 0xF8;
        _registers[Coll] |= 0x20; // CollPosNotValid
        _registers[ComIrq] |= IrqTx;

        _cardProcessingMicroseconds = 0;
        (byte[] Data, int LastBits, bool Collision)? answer = AntennaOn ? Air(sent, txLastBits) : null;
        if (answer is not { } a)
        {
            // Nobody answered: the timer (started at the end of transmission) runs out.
            _registers[ComIrq] |= IrqTimer;
            Field.AddAirTime(RadioTiming.FrameMicroseconds(sent.Length, txLastBits) + TimerPeriod());
            return;
        }

        Field.AddAirTime(RadioTiming.ExchangeMicroseconds(sent.Length, txLastBits, a.Data.Length, a.LastBits, _cardProcessingMicroseconds));

        foreach (byte b in a.Data)
        {
            _fifo.Enqueue(b);
        }

        _registers[Control] = (byte)((_registers[Control] & 0xF8) | (a.LastBits & 0x07));
        if (a.Collision)
        {
            _registers[Error] |= ErrColl;
            _registers[Coll] &= 0xDF;
            _registers[ComIrq] |= IrqErr;
        }

        _registers[ComIrq] |= IrqRx | IrqIdle;
    }

    /// <summary>One frame on the air and the cards' answer, as the chip's receiver sees it.</summary>
    private (byte[] Data, int LastBits, bool Collision)? Air(byte[] sent, int txLastBits)
    {
        List<TypeACard> present = Field.Present<TypeACard>();
        if (_selected is not null && !present.Contains(_selected))
        {
            _selected = null;
        }

        // Short frame: REQA / WUPA (7 bits).
        if (sent.Length == 1 && txLastBits == 7 && sent[0] is 0x26 or 0x52)
        {
            bool wakeUp = sent[0] == 0x52;
            List<(TypeACard Card, byte[] Atqa)> answers = [];
            foreach (TypeACard card in present)
            {
                if (card.State == TypeAState.Idle || (wakeUp && card.State == TypeAState.Halt))
                {
                    card.State = TypeAState.Ready;
                    card.CascadeLevel = 1;
                    if (Field.OnAnswer(card, [(byte)(card.Atqa & 0xFF), (byte)(card.Atqa >> 8)]) is { } atqa)
                    {
                        answers.Add((card, atqa));
                    }
                }
                else if (card.State is TypeAState.Active or TypeAState.Ready)
                {
                    // REQA/WUPA is unexpected in READY and ACTIVE: the card goes back to idle, silent (ISO 14443-3 6.3).
                    card.Reset();
                }
            }

            _selected = null;
            return Merge(answers.ConvertAll(x => x.Atqa), 0);
        }

        // Anticollision / select: SEL (93/95/97) + NVB.
        if (sent.Length >= 2 && sent[0] is 0x93 or 0x95 or 0x97)
        {
            int level = sent[0] == 0x93 ? 1 : sent[0] == 0x95 ? 2 : 3;
            IdleReadyCards(present, level);
            List<TypeACard> ready = present.FindAll(c => c.State == TypeAState.Ready && c.CascadeLevel == level);
            if (sent[1] == 0x70 && sent.Length == 9)
            {
                if (!Iso14443Crc.CheckCrcA(sent))
                {
                    return null;
                }

                byte[] uidPart = sent[2..6];
                List<byte[]> answers = [];
                List<TypeACard> chosen = [];
                foreach (TypeACard card in ready)
                {
                    byte[] part = card.CascadeBytes(level);
                    if (part.AsSpan().SequenceEqual(uidPart) && sent[6] == (byte)(part[0] ^ part[1] ^ part[2] ^ part[3]))
                    {
                        // Every card whose UID part matches answers (cards sharing the first bytes of a
                        // longer UID both go on to the next cascade level, where they collide).
                        if (Field.OnAnswer(card, Iso14443Crc.AppendCrcA([card.SakAt(level)])) is { } answer)
                        {
                            answers.Add(answer);
                            chosen.Add(card);
                        }
                    }
                    else
                    {
                        // Cards not selected return to idle (ISO 14443-3 6.5.3.4).
                        card.Reset();
                    }
                }

                foreach (TypeACard card in chosen)
                {
                    if (level < card.CascadeLevels)
                    {
                        card.CascadeLevel = level + 1;
                    }
                    else
                    {
                        card.State = TypeAState.Active;
                        _selected ??= card;
                    }
                }

                if (answers.Count > 0)
                {
                    return Merge(answers, 0);
                }

                return null;
            }

            if (sent[1] == 0x20)
            {
                List<byte[]> answers = [];
                foreach (TypeACard card in ready)
                {
                    byte[] part = card.CascadeBytes(level);
                    byte[] withBcc = [part[0], part[1], part[2], part[3], (byte)(part[0] ^ part[1] ^ part[2] ^ part[3])];
                    if (Field.OnAnswer(card, withBcc) is { } answer)
                    {
                        answers.Add(answer);
                    }
                }

                return Merge(answers, 0);
            }

            // Bit-oriented anticollision with known bits is not used by the drivers served here.
            return null;
        }

        // Any other frame is unexpected for a card in READY: back to idle (ISO 14443-3 6.3).
        IdleReadyCards(present, 0);
        if (_selected is not { } selected)
        {
            return null;
        }

        if (!Iso14443Crc.CheckCrcA(sent))
        {
            // Framing errors make a card silent; for a MIFARE card this ends the session.
            return null;
        }

        byte[] command = sent[..^2];
        if (command is [0x50, 0x00])
        {
            selected.State = TypeAState.Halt;
            _selected = null;
            _registers[Status2] &= unchecked((byte)~MfCrypto1On);
            return null;
        }

        CardAnswer? reply = selected.Respond(command);
        _cardProcessingMicroseconds = (selected as IsoDepTypeACard)?.LastProcessingMicroseconds ?? 0;
        if (selected.State != TypeAState.Active)
        {
            // Deselected (ISO/IEC 14443-4 S(DESELECT) answers, then halts the card) or gone back to idle: no longer
            // the card frames go to.
            _selected = null;
        }

        if (reply is not { } r)
        {
            return null;
        }

        byte[] onAir = r.FourBit ? r.Data : Iso14443Crc.AppendCrcA(r.Data);
        byte[]? received = Field.OnAnswer(selected, onAir);
        if (received is null)
        {
            _selected = null;
            return null;
        }

        return (received, r.FourBit ? 4 : 0, false);
    }

    /// <summary>Cards in READY not addressed at <paramref name="level"/> return to idle.</summary>
    private static void IdleReadyCards(List<TypeACard> present, int level)
    {
        foreach (TypeACard card in present)
        {
            if (card.State == TypeAState.Ready && card.CascadeLevel != level)
            {
                card.Reset();
            }
        }
    }

    /// <summary>Superposes simultaneous answers: identical ones read clean, differing ones give a collision.</summary>
    private static (byte[] Data, int LastBits, bool Collision)? Merge(List<byte[]> answers, int lastBits)
    {
        if (answers.Count == 0)
        {
            return null;
        }

        byte[] merged = (byte[])answers[0].Clone();
        bool collision = false;
        for (int i = 1; i < answers.Count; i++)
        {
            byte[] other = answers[i];
            for (int j = 0; j < merged.Length && j < other.Length; j++)
            {
                if (merged[j] != other[j])
                {
                    collision = true;
                }

                merged[j] |= other[j];
            }
        }

        return (merged, lastBits, collision);
    }
}
