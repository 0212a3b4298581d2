using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Readers;

/// <summary>Where a reader is wired on a Raspberry Pi (see the README's wiring table).</summary>
public sealed record HardwareReaderOptions
{
    public required ReaderKind Kind { get; init; }

    /// <summary>SPI bus (0 is /dev/spidev0.x).</summary>
    public int SpiBus { get; init; }

    /// <summary>SPI chip-select line (CE0 = 0, CE1 = 1) for the MFRC522.</summary>
    public int SpiChipSelect { get; init; }

    /// <summary>The PN532 on SPI: the GPIO the binding drives as chip select (BCM numbering), e.g. 8 (CE0's pin).</summary>
    public int Pn532ChipSelectGpio { get; init; } = 8;

    /// <summary>I²C bus (1 is /dev/i2c-1).</summary>
    public int I2cBus { get; init; } = 1;

    /// <summary>I²C address; null takes the chip's usual one (MFRC522 0x28, PN532 0x24).</summary>
    public int? I2cAddress { get; init; }

    /// <summary>Serial device for mfrc522-uart / pn532-hsu.</summary>
    public string SerialPort { get; init; } = "/dev/serial0";

    /// <summary>Reset pin (BCM), or -1 when it is not wired: then recovery is a soft reset and a new driver.</summary>
    public int ResetPin { get; init; } = -1;

    public int SpiClockHz { get; init; } = 1_000_000;
}

/// <summary>Opens the buses of a reader wired to the Pi's SPI, I²C or UART.</summary>
public static class HardwareReaders
{
    /// <summary>
    /// The reader on real hardware. GPIO is opened only when a reset pin or the PN532's
    /// software chip select needs it; opening fails with <see cref="ReaderIOException"/> on a
    /// machine without a gpiochip.
    /// </summary>
    public static CardReader Open(HardwareReaderOptions options, ReaderSettings? settings = null, TimeProvider? time = null, ILogger<CardReader>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CardReader(options.Kind, CreateBus(options), settings, time, logger);
    }

    public static ReaderBus CreateBus(HardwareReaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ReaderKind kind = options.Kind;
        bool pn532 = kind.Chip() == ReaderChip.Pn532;
        GpioController? gpio = options.ResetPin >= 0 || kind == ReaderKind.Pn532Spi ? OpenGpio() : null;
        switch (kind.Bus())
        {
            case ReaderBusType.Spi:
                var spi = new SpiConnectionSettings(options.SpiBus, pn532 ? -1 : options.SpiChipSelect)
                {
                    ClockFrequency = Math.Min(options.SpiClockHz, pn532 ? 2_000_000 : 10_000_000),
                    Mode = SpiMode.Mode0,
                    // The PN532 sends least significant bit first (UM0701-02 §6.2.5).
                    DataFlow = pn532 ? DataFlow.LsbFirst : DataFlow.MsbFirst,
                };
                return ReaderBus.Spi(() => SpiDevice.Create(spi), gpio, options.ResetPin, pn532 ? options.Pn532ChipSelectGpio : -1);
            case ReaderBusType.I2c:
                var i2c = new I2cConnectionSettings(options.I2cBus, options.I2cAddress ?? (pn532 ? 0x24 : 0x28));
                return ReaderBus.I2c(() => I2cDevice.Create(i2c), gpio, options.ResetPin);
            default:
                return ReaderBus.Serial(options.SerialPort, gpio, options.ResetPin);
        }
    }

    private static GpioController OpenGpio()
    {
        try
        {
            return new GpioController();
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ReaderIOException($"GPIO is not available on this machine ({e.Message}); wire no reset pin or run on the Pi", e);
        }
    }
}
