using System;
using System.Device.Gpio;
using System.Device.Spi;
using System.IO;
using System.IO.Ports;
using System.Threading;
using Maebashi.Edge.Firmware;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Mfrc522;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Firmware.Taps;

namespace Maebashi.Edge.Validator
{
    /// <summary>MFRC522 registers over SPI (datasheet 8.1.2.3): address (reg &lt;&lt; 1), bit 7 = read; burst reads repeat the address.</summary>
    internal sealed class SpiRegisterBus : IRegisterBus
    {
        private readonly SpiDevice _spi;
        private readonly byte[] _out = new byte[65];
        private readonly byte[] _in = new byte[65];
        private readonly byte[] _two = new byte[2];
        private readonly byte[] _twoIn = new byte[2];

        public SpiRegisterBus(SpiDevice spi)
        {
            _spi = spi;
        }

        public byte Read(Register register)
        {
            _two[0] = (byte)(0x80 | ((byte)register << 1));
            _two[1] = 0;
            _spi.TransferFullDuplex(_two, _twoIn);
            return _twoIn[1];
        }

        public void Write(Register register, byte value)
        {
            _two[0] = (byte)((byte)register << 1);
            _two[1] = value;
            _spi.TransferFullDuplex(_two, _twoIn);
        }

        public void ReadFifo(byte[] buffer, int offset, int count)
        {
            byte address = (byte)(0x80 | ((byte)Register.FifoData << 1));
            for (int i = 0; i < count; i++)
            {
                _out[i] = address;
            }

            _out[count] = 0;
            _spi.TransferFullDuplex(new SpanByte(_out, 0, count + 1), new SpanByte(_in, 0, count + 1));
            Array.Copy(_in, 1, buffer, offset, count);
        }

        public void WriteFifo(byte[] buffer, int offset, int count)
        {
            _out[0] = (byte)((byte)Register.FifoData << 1);
            Array.Copy(buffer, offset, _out, 1, count);
            _spi.TransferFullDuplex(new SpanByte(_out, 0, count + 1), new SpanByte(_in, 0, count + 1));
        }
    }

    /// <summary>The MFRC522's NRSTPD pin: low for 1 ms, then high and 50 ms for the oscillator (datasheet 8.8.1, 8.8.2).</summary>
    internal sealed class ResetPin : IChipResetLine
    {
        private readonly GpioPin _pin;

        public ResetPin(GpioController gpio, int pin)
        {
            _pin = gpio.OpenPin(pin, PinMode.Output);
            _pin.Write(PinValue.High);
        }

        public void Pulse()
        {
            _pin.Write(PinValue.Low);
            Thread.Sleep(1);
            _pin.Write(PinValue.High);
            Thread.Sleep(50);
        }
    }

    /// <summary>UART2 in RS-485 mode: the driver raises RTS (DE//RE) only while it transmits.</summary>
    internal sealed class Rs485Port : ISerialPort
    {
        private readonly SerialPort _port;

        public Rs485Port(SerialPort port)
        {
            _port = port;
        }

        public int Read(byte[] buffer, int offset, int count)
        {
            int available = _port.BytesToRead;
            if (available <= 0)
            {
                return 0;
            }

            return _port.Read(buffer, offset, available < count ? available : count);
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            _port.Write(buffer, offset, count);
        }
    }

    /// <summary>Green and red LEDs and the buzzer's transistor.</summary>
    internal sealed class GpioFeedback : IFeedback
    {
        private readonly GpioPin _green;
        private readonly GpioPin _red;
        private readonly GpioPin _buzzer;

        public GpioFeedback(GpioController gpio, int green, int red, int buzzer)
        {
            _green = gpio.OpenPin(green, PinMode.Output);
            _red = gpio.OpenPin(red, PinMode.Output);
            _buzzer = gpio.OpenPin(buzzer, PinMode.Output);
            Set(false, false, false);
        }

        public void Set(bool green, bool red, bool buzzer)
        {
            _green.Write(green ? PinValue.High : PinValue.Low);
            _red.Write(red ? PinValue.High : PinValue.Low);
            _buzzer.Write(buzzer ? PinValue.High : PinValue.Low);
        }
    }

    /// <summary>
    /// The tap ring's "partition": a fixed-size file on the internal storage drive (littlefs, itself power-safe). It keeps
    /// NOR semantics the ring buffer relies on: erase writes 0xFF, a write only clears bits (read, AND, write back).
    /// </summary>
    internal sealed class FileFlashStorage : IFlashStorage
    {
        private readonly FileStream _file;
        private readonly byte[] _chunk = new byte[256];
        private readonly byte[] _old = new byte[256];

        public FileFlashStorage(string path, int sectorSize, int sectorCount)
        {
            SectorSize = sectorSize;
            SectorCount = sectorCount;
            bool exists = File.Exists(path);
            _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
            if (!exists || _file.Length != (long)sectorSize * sectorCount)
            {
                for (int s = 0; s < sectorCount; s++)
                {
                    EraseSector(s);
                }
            }
        }

        public int SectorSize { get; private set; }

        public int SectorCount { get; private set; }

        public void EraseSector(int sector)
        {
            for (int i = 0; i < _chunk.Length; i++)
            {
                _chunk[i] = 0xFF;
            }

            _file.Seek((long)sector * SectorSize, SeekOrigin.Begin);
            for (int done = 0; done < SectorSize; done += _chunk.Length)
            {
                _file.Write(_chunk, 0, _chunk.Length);
            }

            _file.Flush();
        }

        public void Write(int address, byte[] data, int offset, int count)
        {
            while (count > 0)
            {
                int n = count < _old.Length ? count : _old.Length;
                Read(address, _old, 0, n);
                for (int i = 0; i < n; i++)
                {
                    _old[i] = (byte)(_old[i] & data[offset + i]);
                }

                _file.Seek(address, SeekOrigin.Begin);
                _file.Write(_old, 0, n);
                address += n;
                offset += n;
                count -= n;
            }

            _file.Flush();
        }

        public void Read(int address, byte[] buffer, int offset, int count)
        {
            _file.Seek(address, SeekOrigin.Begin);
            int done = 0;
            while (done < count)
            {
                int n = _file.Read(buffer, offset + done, count - done);
                if (n <= 0)
                {
                    break;
                }

                done += n;
            }
        }
    }

    /// <summary>
    /// Milliseconds from the ESP32's RTC (mscorlib 1.17 has no tick counter). The firmware never sets the system clock
    /// (the host's time is kept as an offset, ValidatorLink.UnixOffsetMs), so this only moves forward.
    /// </summary>
    internal sealed class DeviceClock : IClock
    {
        private static readonly DateTime Epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        public long MonotonicMs
        {
            get { return DateTime.UtcNow.Ticks / TimeSpan.TicksPerMillisecond; }
        }

        public long UnixMs
        {
            get { return (DateTime.UtcNow - Epoch).Ticks / TimeSpan.TicksPerMillisecond; }
        }
    }
}
