using Maebashi.Edge.Emulation.Cards;

namespace Maebashi.Edge.Emulation.Pn532;

/// <summary>
/// A PN532 emulated at host-frame level (PN532 user manual UM0701-02 §6.2): normal and extended
/// information frames with preamble, start code, length checksum, TFI D4/D5, data checksum and
/// postamble; the ACK frame; error frames for syntax errors and bad checksums. Commands:
/// Diagnose (communication line test), GetFirmwareVersion, SAMConfiguration, SetParameters,
/// RFConfiguration, InListPassiveTarget (106 kbps Type A, 212/424 kbps FeliCa, 106 kbps Type B),
/// InDataExchange (MIFARE, Ultralight, ISO-DEP APDUs), InCommunicateThru, InSelect, InDeselect,
/// InRelease, PowerDown. The transports (<see cref="Pn532I2cDevice"/>, <see cref="Pn532SpiDevice"/>,
/// <see cref="Pn532Hsu"/>) feed it bytes and read its output queue.
/// </summary>
public sealed class Pn532Chip
{
    public static readonly byte[] AckFrame = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];
    public static readonly byte[] NackFrame = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];

    private readonly Lock _gate = new();
    private readonly Queue<byte[]> _output = new();
    private readonly List<byte> _input = [];
    private readonly List<(byte Number, VirtualCard Card)> _targets = [];
    private bool _answering = true;

    public Pn532Chip(RfField field)
    {
        Field = field ?? throw new ArgumentNullException(nameof(field));
    }

    public RfField Field { get; }

    /// <summary>IC, version, revision, support as GetFirmwareVersion answers (PN532 v1.6, all protocols).</summary>
    public byte[] FirmwareVersion { get; set; } = [0x32, 0x01, 0x06, 0x07];

    /// <summary>Commands received with valid frames (diagnostics and tests).</summary>
    public long Commands { get; private set; }

    /// <summary>The last command code received.</summary>
    public byte LastCommand { get; private set; }

    public int Resets { get; private set; }

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

    /// <summary>
    /// Fault: the chip stops answering (a known PN532 lock-up after an I²C glitch or brown-out):
    /// no ACK, never ready; on I²C its address is not acknowledged. <see cref="Reset"/> (its
    /// RSTPDN pin) brings it back.
    /// </summary>
    public void StopAnswering()
    {
        lock (_gate)
        {
            _answering = false;
            _output.Clear();
            _input.Clear();
        }
    }

    /// <summary>The reset pin went low and high: power-on state, answering again.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            Resets++;
            _answering = true;
            _output.Clear();
            _input.Clear();
            _targets.Clear();
        }
    }

    /// <summary>Whether a frame (ACK or response) waits to be read: the ready bit of the status byte.</summary>
    public bool IsReady
    {
        get
        {
            lock (_gate)
            {
                return _answering && _output.Count > 0;
            }
        }
    }

    /// <summary>Bytes from the host (any transport): frames are parsed as they complete.</summary>
    public void Receive(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (!_answering)
            {
                return;
            }

            _input.AddRange(bytes);
            while (TryTakeFrame(out byte[]? frame, out bool checksumError))
            {
                if (checksumError)
                {
                    // A frame with a bad length or data checksum gets a NACK (the host retries).
                    _output.Enqueue(NackFrame);
                    continue;
                }

                if (frame is { Length: 0 })
                {
                    continue; // ACK/NACK from the host: nothing to do.
                }

                _output.Enqueue(AckFrame);
                Commands++;
                LastCommand = frame![1];
                _output.Enqueue(BuildFrame(Execute(frame[1], frame.AsSpan(2))));
            }
        }
    }

    /// <summary>Takes the next output frame (ACK or response), or null when none is ready.</summary>
    public byte[]? TakeOutput()
    {
        lock (_gate)
        {
            return _answering && _output.Count > 0 ? _output.Dequeue() : null;
        }
    }

    /// <summary>Drops every frame not yet read (e.g. the HSU port flushed its input).</summary>
    internal void DiscardOutput()
    {
        lock (_gate)
        {
            _output.Clear();
        }
    }

    /// <summary>
    /// Parses one frame from the input buffer: skips everything before the 00 FF start code
    /// (preamble, wake-up bytes). The frame is TFI + command + data, empty for ACK/NACK.
    /// </summary>
    private bool TryTakeFrame(out byte[]? frame, out bool checksumError)
    {
        frame = null;
        checksumError = false;
        int start = -1;
        for (int i = 0; i + 1 < _input.Count; i++)
        {
            if (_input[i] == 0x00 && _input[i + 1] == 0xFF)
            {
                start = i + 2;
                break;
            }
        }

        if (start < 0)
        {
            // Keep a trailing 0x00 that may begin a start code.
            if (_input.Count > 1)
            {
                bool keepLast = _input[^1] == 0x00;
                _input.Clear();
                if (keepLast)
                {
                    _input.Add(0x00);
                }
            }

            return false;
        }

        if (_input.Count < start + 2)
        {
            return false;
        }

        byte len = _input[start], lcs = _input[start + 1];
        int dataStart = start + 2;
        int length;
        if (len == 0x00 && lcs == 0xFF)
        {
            // ACK from the host.
            _input.RemoveRange(0, dataStart);
            frame = [];
            return true;
        }

        if (len == 0xFF && lcs == 0x00)
        {
            _input.RemoveRange(0, dataStart);
            frame = [];
            return true;
        }

        if (len == 0xFF && lcs == 0xFF)
        {
            // Extended frame: LENM LENL LCS.
            if (_input.Count < start + 5)
            {
                return false;
            }

            length = (_input[start + 2] << 8) | _input[start + 3];
            if ((byte)(_input[start + 2] + _input[start + 3] + _input[start + 4]) != 0)
            {
                _input.RemoveRange(0, start + 5);
                checksumError = true;
                return true;
            }

            dataStart = start + 5;
        }
        else
        {
            if ((byte)(len + lcs) != 0)
            {
                _input.RemoveRange(0, dataStart);
                checksumError = true;
                return true;
            }

            length = len;
        }

        if (_input.Count < dataStart + length + 1)
        {
            return false;
        }

        byte[] body = [.. _input.GetRange(dataStart, length)];
        byte dcs = _input[dataStart + length];
        int consumed = dataStart + length + 1;
        // Postamble is optional for the chip.
        if (_input.Count > consumed && _input[consumed] == 0x00)
        {
            consumed++;
        }

        _input.RemoveRange(0, consumed);
        byte sum = dcs;
        foreach (byte b in body)
        {
            sum += b;
        }

        if (sum != 0 || body.Length < 2 || body[0] != 0xD4)
        {
            checksumError = true;
            return true;
        }

        frame = body;
        return true;
    }

    /// <summary>A response information frame: TFI D5, command + 1, data; an error frame when data is null.</summary>
    private static byte[] BuildFrame((byte Code, byte[]? Data) response)
    {
        if (response.Data is null)
        {
            // Application-level error frame (syntax error).
            return [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00];
        }

        byte[] body = [0xD5, response.Code, .. response.Data];
        List<byte> frame = [0x00, 0x00, 0xFF];
        if (body.Length <= 255)
        {
            frame.Add((byte)body.Length);
            frame.Add((byte)(0x100 - body.Length));
        }
        else
        {
            byte m = (byte)(body.Length >> 8), l = (byte)(body.Length & 0xFF);
            frame.AddRange([0xFF, 0xFF, m, l, (byte)(0x100 - (byte)(m + l))]);
        }

        frame.AddRange(body);
        byte sum = 0;
        foreach (byte b in body)
        {
            sum += b;
        }

        frame.Add((byte)(0x100 - sum));
        frame.Add(0x00);
        return [.. frame];
    }

    private (byte Code, byte[]? Data) Execute(byte command, ReadOnlySpan<byte> data)
    {
        byte code = (byte)(command + 1);
        switch (command)
        {
            case 0x00: // Diagnose
                return data.Length >= 1 && data[0] == 0x00 ? (code, data.ToArray()) : (code, [0x00]);
            case 0x02: // GetFirmwareVersion
                return (code, FirmwareVersion);
            case 0x12: // SetParameters
            case 0x14: // SAMConfiguration
            case 0x32: // RFConfiguration
                return (code, []);
            case 0x16: // PowerDown
                return (code, [0x00]);
            case 0x4A: // InListPassiveTarget
                return data.Length < 2 ? (code, null) : (code, ListPassiveTarget(data[0], data[1], data[2..]));
            case 0x40: // InDataExchange
                return data.Length < 1 ? (code, null) : (code, DataExchange(data[0], data[1..]));
            case 0x42: // InCommunicateThru
                return (code, CommunicateThru(data));
            case 0x44: // InDeselect
            case 0x52: // InRelease
                if (data.Length < 1)
                {
                    return (code, null);
                }

                if (command == 0x52)
                {
                    Release(data[0]);
                }

                return (code, [0x00]);
            case 0x54: // InSelect
                return data.Length < 1 ? (code, null) : (code, [Target(data[0]) is null ? (byte)0x27 : (byte)0x00]);
            default:
                return (code, null);
        }
    }

    private void Release(byte number)
    {
        foreach (var (n, card) in _targets.ToArray())
        {
            if (number == 0 || n == number)
            {
                if (card is IPoweredCard powered)
                {
                    powered.Reset();
                }
                else if (card is TypeACard a)
                {
                    a.State = TypeAState.Halt;
                }

                _targets.RemoveAll(t => t.Number == n);
            }
        }
    }

    private VirtualCard? Target(byte number)
    {
        foreach (var (n, card) in _targets)
        {
            if (n == number && Field.Cards.Contains(card))
            {
                return card;
            }
        }

        return null;
    }

    private byte[] ListPassiveTarget(byte maxTargets, byte baudRate, ReadOnlySpan<byte> initiator)
    {
        _targets.Clear();
        int max = maxTargets is 1 or 2 ? maxTargets : 1;
        List<byte> result = [0];
        byte number = 1;
        switch (baudRate)
        {
            case 0x00: // 106 kbps Type A: the PN532 resolves collisions itself.
                foreach (TypeACard card in Field.Present<TypeACard>())
                {
                    if (number > max || card.State == TypeAState.Halt)
                    {
                        continue;
                    }

                    if (initiator.Length > 0 && !card.Uid.SequenceEqual(initiator))
                    {
                        continue;
                    }

                    byte[] atqa = [(byte)(card.Atqa >> 8), (byte)(card.Atqa & 0xFF)];
                    byte[]? answer = Field.OnAnswer(card, [.. atqa, card.Sak]);
                    if (answer is null)
                    {
                        continue;
                    }

                    card.State = TypeAState.Active;
                    result.AddRange([number, answer[0], answer[1], answer[2], (byte)card.Uid.Length, .. card.Uid]);
                    bool isoDep = (card.Sak & 0x20) != 0;
                    if (isoDep)
                    {
                        // AutomaticRATS: the ATS (length, T0, TA, TB, TC).
                        result.AddRange([0x05, 0x78, 0x80, 0x70, 0x02]);
                        (card as IsoDepTypeACard)?.ActivateByReader();
                    }

                    Field.AddAirTime(RadioTiming.ActivationMicroseconds(card.CascadeLevels, isoDep ? 5 : 0));

                    _targets.Add((number++, card));
                }

                break;
            case 0x01: // 212 kbps FeliCa
            case 0x02: // 424 kbps FeliCa
                if (initiator.Length < 5 || initiator[0] != 0x00)
                {
                    // The polling request payload (00 SC SC RC TSN) is mandatory.
                    return [0x00];
                }

                ushort systemCode = (ushort)((initiator[1] << 8) | initiator[2]);
                foreach (FelicaCard card in Field.Present<FelicaCard>())
                {
                    if (number > max || (baudRate == 0x01 ? !card.Answers212 : !card.Answers424))
                    {
                        continue;
                    }

                    if (card.Poll(systemCode, initiator[3]) is not { } polled || Field.OnAnswer(card, polled) is not { } answer)
                    {
                        continue;
                    }

                    result.AddRange([number, (byte)(answer.Length + 1), .. answer]);
                    _targets.Add((number++, card));
                }

                break;
            case 0x03: // 106 kbps Type B: AFI mandatory.
                if (initiator.Length < 1)
                {
                    return [0x00];
                }

                foreach (TypeBCard card in Field.Present<TypeBCard>())
                {
                    if (number > max || !card.AnswersAfi(initiator[0]))
                    {
                        continue;
                    }

                    if (Field.OnAnswer(card, card.Atqb()) is not { } atqb)
                    {
                        continue;
                    }

                    // ATTRIB_RES: MBLI/CID byte.
                    result.AddRange([number, .. atqb, 0x01, 0x00]);
                    _targets.Add((number++, card));
                }

                break;
            default:
                break; // Jewel and others: no target emulated.
        }

        result[0] = (byte)(number - 1);
        return [.. result];
    }

    private byte[] DataExchange(byte number, ReadOnlySpan<byte> data)
    {
        byte logical = (byte)(number & 0x3F);
        if (Target(logical) is not { } card)
        {
            // 0x27: wrong context; 0x01: the target did not answer (it left).
            return _targets.Exists(t => t.Number == logical) ? [0x01] : [0x27];
        }

        switch (card)
        {
            case TypeBCard b:
                return Exchange(card, b.ProcessApdu(data));
            case IsoDepTypeACard d:
            {
                // The PN532 runs ISO/IEC 14443-4 itself: InDataExchange carries the APDU; the air carries its blocks.
                double processing = d.ApduProcessingMicroseconds(data);
                byte[] response = d.ProcessApdu(data);
                Field.AddAirTime(RadioTiming.IsoDepApduMicroseconds(data.Length, response.Length, processing));
                return Exchange(card, response);
            }
            case TypeACard a when data.Length >= 1 && data[0] is 0x60 or 0x61:
                if (data.Length < 12)
                {
                    return [0x27];
                }

                return a.Authenticate(data[0], data[1], data.Slice(2, 6), data.Slice(8, 4)) && Field.OnAnswer(card, [0x00]) is not null ? [0x00] : [0x14];
            case TypeACard a:
                CardAnswer? reply = a.Respond(data);
                if (reply is not { } r)
                {
                    // An ISO-DEP Type A card with no APDU handler answers "instruction not supported".
                    return (a.Sak & 0x20) != 0 ? Exchange(card, [0x6D, 0x00]) : [0x01];
                }

                if (r.FourBit)
                {
                    // ACK (0x0A) is success with no data; NAK is an error status.
                    return r.Data[0] == 0x0A ? Exchange(card, []) : [0x14];
                }

                return Exchange(card, r.Data);
            default:
                return [0x27];
        }
    }

    private byte[] Exchange(VirtualCard card, byte[] answer)
    {
        byte[]? received = Field.OnAnswer(card, answer.Length == 0 ? [0x0A] : answer);
        if (received is null)
        {
            return [0x01];
        }

        if (answer.Length > 0 && !received.AsSpan().SequenceEqual(answer))
        {
            // A bit error on air: the PN532 reports a CRC error (status 0x02) and no data.
            return [0x02];
        }

        return [0x00, .. answer];
    }

    private byte[] CommunicateThru(ReadOnlySpan<byte> data)
    {
        VirtualCard? card = _targets.Count > 0 ? Target(_targets[0].Number) : null;
        if (card is not TypeACard a)
        {
            return [0x01];
        }

        CardAnswer? reply = a.Respond(data);
        if (reply is not { } r)
        {
            return [0x01];
        }

        return Exchange(card, r.Data);
    }
}
