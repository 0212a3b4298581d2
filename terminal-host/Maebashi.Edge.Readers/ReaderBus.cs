using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;

namespace Maebashi.Edge.Readers;

/// <summary>
/// How to reach a reader chip: a factory for its bus device (a fresh one per
/// (re-)initialisation, since the bindings dispose theirs), the serial port name, and the GPIO
/// controller with the reset and chip-select pins when they are wired. Real hardware gets these
/// from <see cref="HardwareReaders"/>; the emulators from their rig.
/// </summary>
public sealed class ReaderBus
{
    private ReaderBus(ReaderBusType type)
    {
        Type = type;
    }

    public ReaderBusType Type { get; }

    public Func<SpiDevice>? OpenSpi { get; private init; }

    public Func<I2cDevice>? OpenI2c { get; private init; }

    public string? PortName { get; private init; }

    /// <summary>GPIO for the reset pin (and the PN532's software chip select); null when none is wired.</summary>
    public GpioController? Gpio { get; private init; }

    /// <summary>The chip's reset pin (MFRC522 NRSTPD, PN532 RSTPDN), or -1 when not wired.</summary>
    public int ResetPin { get; private init; } = -1;

    /// <summary>The PN532's SPI chip-select pin (the binding drives it as a GPIO), or -1.</summary>
    public int ChipSelectPin { get; private init; } = -1;

    public static ReaderBus Spi(Func<SpiDevice> open, GpioController? gpio = null, int resetPin = -1, int chipSelectPin = -1) =>
        new(ReaderBusType.Spi) { OpenSpi = open ?? throw new ArgumentNullException(nameof(open)), Gpio = gpio, ResetPin = resetPin, ChipSelectPin = chipSelectPin };

    public static ReaderBus I2c(Func<I2cDevice> open, GpioController? gpio = null, int resetPin = -1) =>
        new(ReaderBusType.I2c) { OpenI2c = open ?? throw new ArgumentNullException(nameof(open)), Gpio = gpio, ResetPin = resetPin };

    public static ReaderBus Serial(string portName, GpioController? gpio = null, int resetPin = -1) =>
        new(ReaderBusType.Serial) { PortName = string.IsNullOrWhiteSpace(portName) ? throw new ArgumentException("serial port name is empty", nameof(portName)) : portName, Gpio = gpio, ResetPin = resetPin };

    internal bool HasResetPin => Gpio is not null && ResetPin >= 0;
}
