using System.Device.Spi;

namespace Maebashi.Edge.Emulation.Pn532;

/// <summary>
/// The PN532's SPI interface (UM0701-02 §6.2.5): the first byte of a transaction is the
/// operation — 0x01 data write (a frame follows), 0x02 status read (next byte: bit 0 ready),
/// 0x03 data read (next bytes: the pending frame, consumed). The binding selects the chip with
/// a GPIO chip-select pin and issues the operation and the reads as separate calls, so the
/// operation is remembered until the next one. Bytes that start with no known operation (the
/// binding's wake-up burst) are ignored, as by the chip.
/// </summary>
public sealed class Pn532SpiDevice : SpiDevice
{
    private const byte DataWrite = 0x01;
    private const byte StatusRead = 0x02;
    private const byte DataRead = 0x03;

    private readonly Pn532Chip _chip;
    private byte _operation;
    private byte[] _reading = [];
    private int _position;

    public Pn532SpiDevice(Pn532Chip chip, SpiConnectionSettings? settings = null)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
        ConnectionSettings = settings ?? new SpiConnectionSettings(0, -1) { ClockFrequency = 2_000_000, Mode = SpiMode.Mode0, DataFlow = DataFlow.LsbFirst };
    }

    public override SpiConnectionSettings ConnectionSettings { get; }

    public bool IsDisposed { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (buffer.IsEmpty)
        {
            return;
        }

        _operation = buffer[0];
        switch (_operation)
        {
            case DataWrite:
                _chip.Receive(buffer[1..]);
                break;
            case DataRead:
                _reading = _chip.TakeOutput() ?? [];
                _position = 0;
                break;
            default:
                break;
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = NextByte();
        }
    }

    public override byte ReadByte()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return NextByte();
    }

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        byte[] sent = writeBuffer.ToArray();
        readBuffer.Clear();
        if (sent.Length == 0)
        {
            return;
        }

        // One transaction: the operation byte, then data clocked both ways.
        Write(sent.AsSpan(0, sent[0] == DataWrite ? sent.Length : 1));
        if (sent[0] != DataWrite)
        {
            for (int i = 1; i < readBuffer.Length; i++)
            {
                readBuffer[i] = NextByte();
            }
        }
    }

    private byte NextByte()
    {
        if (!_chip.IsAnswering)
        {
            // Nobody drives MISO.
            return 0x00;
        }

        return _operation switch
        {
            StatusRead => _chip.IsReady ? (byte)0x01 : (byte)0x00,
            DataRead => _position < _reading.Length ? _reading[_position++] : (byte)0x00,
            _ => 0x00,
        };
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}
