using System.Device.Spi;

namespace Maebashi.Edge.Emulation.Mfrc522;

/// <summary>
/// The MFRC522's SPI interface (datasheet 8.1.2): the first byte is the address
/// <c>reg &lt;&lt; 1</c>, bit 7 set to read. A read transfer sends one address per byte wanted
/// and a final 0x00; the value for the address in byte i comes back in byte i+1 (burst reads
/// repeat the address, e.g. FIFO reads). A write transfer is the address then data bytes, all
/// written to that register. The same buffer may be passed as write and read buffer (the
/// binding does), so the input is copied first.
/// </summary>
public sealed class Mfrc522SpiDevice : SpiDevice
{
    private readonly Mfrc522Chip _chip;

    public Mfrc522SpiDevice(Mfrc522Chip chip, SpiConnectionSettings? settings = null)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
        ConnectionSettings = settings ?? new SpiConnectionSettings(0, 0) { ClockFrequency = 10_000_000, Mode = SpiMode.Mode0 };
    }

    public override SpiConnectionSettings ConnectionSettings { get; }

    /// <summary>Transfers since the device was made (diagnostics and tests).</summary>
    public long Transfers { get; private set; }

    public bool IsDisposed { get; private set; }

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (writeBuffer.Length != readBuffer.Length)
        {
            throw new ArgumentException("SPI full duplex: write and read buffers must have the same length");
        }

        Transfers++;
        byte[] sent = writeBuffer.ToArray();
        Clock(sent, readBuffer);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Transfers++;
        Clock(buffer.ToArray(), new byte[buffer.Length]);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Transfers++;
        // Clocking zeros: address 0x00 write of nothing; MISO returns zeros.
        buffer.Clear();
    }

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    private void Clock(byte[] sent, Span<byte> received)
    {
        if (sent.Length == 0)
        {
            return;
        }

        received.Clear();
        byte first = sent[0];
        if ((first & 0x80) != 0)
        {
            for (int i = 0; i < sent.Length - 1; i++)
            {
                received[i + 1] = (sent[i] & 0x80) != 0 ? _chip.ReadRegister((byte)((sent[i] >> 1) & 0x3F)) : (byte)0;
            }
        }
        else
        {
            byte register = (byte)((first >> 1) & 0x3F);
            for (int i = 1; i < sent.Length; i++)
            {
                _chip.WriteRegister(register, sent[i]);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}
