using System.Device.Spi;
using Maebashi.Edge.Firmware.Mfrc522;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>
/// The firmware's register bus over SPI exactly as the ESP32 board glue frames it (MFRC522 datasheet 8.1.2.3): address
/// byte (reg &lt;&lt; 1), bit 7 set to read; a burst read repeats the address and ends with 0x00. Runs against the
/// emulator's <c>Mfrc522SpiDevice</c> here and against System.Device.Spi on a Raspberry Pi.
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
