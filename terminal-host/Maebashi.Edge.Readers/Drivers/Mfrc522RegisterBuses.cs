using System.Device.I2c;
using System.Device.Spi;
using System.IO.Ports;
using Maebashi.Edge.Firmware.Mfrc522;

namespace Maebashi.Edge.Readers.Drivers;

/// <summary>
/// The firmware core's register bus over SPI exactly as the ESP32 board glue frames it (MFRC522 datasheet 8.1.2.3):
/// address byte (reg &lt;&lt; 1), bit 7 set to read; a burst read repeats the address and ends with 0x00. On a Raspberry
/// Pi it shares the binding's <see cref="SpiDevice"/> (ISO-DEP frames through the firmware core's <see cref="Firmware.Mfrc522.Mfrc522Driver"/>); the validator
/// simulator runs it against the emulator's SPI device.
/// </summary>
public sealed class SpiRegisterBus(SpiDevice device) : IRegisterBus
{
    private readonly byte[] _two = new byte[2];
    private readonly byte[] _twoIn = new byte[2];
    private readonly byte[] _burst = new byte[65];
    private readonly byte[] _burstIn = new byte[65];

    public byte Read(Register register)
    {
        _two[0] = (byte)(0x80 | ((byte)register << 1));
        _two[1] = 0;
        device.TransferFullDuplex(_two, _twoIn);
        return _twoIn[1];
    }

    public void Write(Register register, byte value)
    {
        _two[0] = (byte)((byte)register << 1);
        _two[1] = value;
        device.TransferFullDuplex(_two, _twoIn);
    }

    public void ReadFifo(byte[] buffer, int offset, int count)
    {
        while (count > 0)
        {
            int n = Math.Min(count, 64);
            byte address = (byte)(0x80 | ((byte)Register.FifoData << 1));
            for (int i = 0; i < n; i++)
            {
                _burst[i] = address;
            }

            _burst[n] = 0;
            device.TransferFullDuplex(_burst.AsSpan(0, n + 1), _burstIn.AsSpan(0, n + 1));
            Array.Copy(_burstIn, 1, buffer, offset, n);
            offset += n;
            count -= n;
        }
    }

    public void WriteFifo(byte[] buffer, int offset, int count)
    {
        while (count > 0)
        {
            int n = Math.Min(count, 64);
            _burst[0] = (byte)((byte)Register.FifoData << 1);
            Array.Copy(buffer, offset, _burst, 1, n);
            device.TransferFullDuplex(_burst.AsSpan(0, n + 1), _burstIn.AsSpan(0, n + 1));
            offset += n;
            count -= n;
        }
    }
}

/// <summary>
/// The register bus over I²C (datasheet 8.1.4): one byte sets the register address, more bytes write to it; a read
/// returns that register as often as bytes are read (FIFO bursts). Bit 7 of the address marks a read, as the binding
/// sends it (the chip ignores it).
/// </summary>
public sealed class I2cRegisterBus(I2cDevice device) : IRegisterBus
{
    private const byte ReadMark = 0x80;
    private readonly byte[] _two = new byte[2];
    private readonly byte[] _burst = new byte[65];

    public byte Read(Register register)
    {
        device.WriteByte((byte)((byte)register | ReadMark));
        return device.ReadByte();
    }

    public void Write(Register register, byte value)
    {
        _two[0] = (byte)register;
        _two[1] = value;
        device.Write(_two);
    }

    public void ReadFifo(byte[] buffer, int offset, int count)
    {
        device.WriteByte((byte)((byte)Register.FifoData | ReadMark));
        device.Read(buffer.AsSpan(offset, count));
    }

    public void WriteFifo(byte[] buffer, int offset, int count)
    {
        while (count > 0)
        {
            int n = Math.Min(count, 64);
            _burst[0] = (byte)Register.FifoData;
            Array.Copy(buffer, offset, _burst, 1, n);
            device.Write(_burst.AsSpan(0, n + 1));
            offset += n;
            count -= n;
        }
    }
}

/// <summary>
/// The register bus over the UART (datasheet 8.1.3): a byte with bit 7 set reads that register and the chip answers
/// its value; a write sends the address (bit 7 clear), waits for its echo, then sends the value. Shares the binding's
/// <see cref="SerialPort"/>, whose read timeout bounds a chip that stopped answering.
/// </summary>
public sealed class SerialRegisterBus(SerialPort port) : IRegisterBus
{
    private const byte ReadMark = 0x80;
    private readonly byte[] _one = new byte[1];

    public byte Read(Register register)
    {
        _one[0] = (byte)((byte)register | ReadMark);
        port.Write(_one, 0, 1);
        return (byte)port.ReadByte();
    }

    public void Write(Register register, byte value)
    {
        _one[0] = (byte)register;
        port.Write(_one, 0, 1);
        port.ReadByte(); // the echoed address
        _one[0] = value;
        port.Write(_one, 0, 1);
    }

    public void ReadFifo(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer[offset + i] = Read(Register.FifoData);
        }
    }

    public void WriteFifo(byte[] buffer, int offset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Write(Register.FifoData, buffer[offset + i]);
        }
    }
}
