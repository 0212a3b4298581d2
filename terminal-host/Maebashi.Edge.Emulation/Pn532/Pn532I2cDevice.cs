using System.Device.I2c;

namespace Maebashi.Edge.Emulation.Pn532;

/// <summary>
/// The PN532's I²C interface (UM0701-02 §6.2.4): writes carry frames; every read starts with
/// the status byte (bit 0 ready). A one-byte read polls the status and consumes nothing; a
/// longer read while ready returns the status then the pending frame (ACK or response), which
/// it consumes, the rest of the buffer padded with zeros. A chip that stops answering does not
/// acknowledge its address: <see cref="IOException"/>, as from the Linux driver.
/// </summary>
public sealed class Pn532I2cDevice : I2cDevice
{
    private readonly Pn532Chip _chip;

    public Pn532I2cDevice(Pn532Chip chip, I2cConnectionSettings? settings = null)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
        ConnectionSettings = settings ?? new I2cConnectionSettings(1, 0x24);
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    public bool IsDisposed { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Acknowledge();
        _chip.Receive(buffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Read(Span<byte> buffer)
    {
        Acknowledge();
        buffer.Clear();
        if (buffer.IsEmpty)
        {
            return;
        }

        if (buffer.Length == 1)
        {
            buffer[0] = _chip.IsReady ? (byte)0x01 : (byte)0x00;
            return;
        }

        if (_chip.TakeOutput() is { } frame)
        {
            buffer[0] = 0x01;
            frame.AsSpan(0, Math.Min(frame.Length, buffer.Length - 1)).CopyTo(buffer[1..]);
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
