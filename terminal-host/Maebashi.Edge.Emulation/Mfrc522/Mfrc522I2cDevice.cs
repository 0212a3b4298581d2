using System.Device.I2c;

namespace Maebashi.Edge.Emulation.Mfrc522;

/// <summary>
/// The MFRC522's I²C interface (datasheet 8.1.4): a write of one byte sets the register
/// address, more bytes write data to that register; a read returns that register as many
/// times as bytes are read (FIFO bursts). The binding marks reads with bit 7 on the address
/// byte, which the chip ignores. A chip that stops answering does not acknowledge its
/// address, which the Linux driver reports as an <see cref="IOException"/>.
/// </summary>
public sealed class Mfrc522I2cDevice : I2cDevice
{
    /// <summary>The address with I2C address pins tied as on common breakout boards.</summary>
    public const int DefaultAddress = 0x28;

    private readonly Mfrc522Chip _chip;
    private byte _pointer;

    public Mfrc522I2cDevice(Mfrc522Chip chip, I2cConnectionSettings? settings = null)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
        ConnectionSettings = settings ?? new I2cConnectionSettings(1, DefaultAddress);
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    public bool IsDisposed { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Acknowledge();
        if (buffer.IsEmpty)
        {
            return;
        }

        _pointer = (byte)(buffer[0] & 0x3F);
        for (int i = 1; i < buffer.Length; i++)
        {
            _chip.WriteRegister(_pointer, buffer[i]);
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Read(Span<byte> buffer)
    {
        Acknowledge();
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = _chip.ReadRegister(_pointer);
        }
    }

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    private void Acknowledge()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!_chip.IsAnswering)
        {
            throw new IOException($"Error 121 performing I2C data transfer: no acknowledge from address 0x{ConnectionSettings.DeviceAddress:X2}");
        }
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}
