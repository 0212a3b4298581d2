using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using Maebashi.Edge.Emulation.Mfrc522;
using Maebashi.Edge.Emulation.Pn532;
using Maebashi.Edge.Readers;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Emulation;

/// <summary>
/// An emulated reader module as a technician would wire it: the chip, its bus (SPI, I²C, or a
/// UART on a pseudo-terminal), and a GPIO controller whose <see cref="ResetPin"/> is wired to
/// the chip's reset line (and, for the PN532 on SPI, <see cref="ChipSelectPin"/> as chip
/// select). Kinds: mfrc522-spi, mfrc522-i2c, mfrc522-uart, pn532-spi, pn532-i2c, pn532-hsu.
/// </summary>
public sealed class EmulatedReaderRig : IDisposable
{
    public const int ResetPin = 25;
    public const int ChipSelectPin = 8;

    public static readonly IReadOnlyList<string> Kinds = ["mfrc522-spi", "mfrc522-i2c", "mfrc522-uart", "pn532-spi", "pn532-i2c", "pn532-hsu"];

    private readonly Mfrc522SerialPort? _mfrcUart;
    private readonly Pn532Hsu? _pnHsu;

    private EmulatedReaderRig(string kind, RfField field, byte mfrc522Version)
    {
        Kind = kind;
        Field = field;
        GpioDriver = new EmulatedGpioDriver();
        Gpio = new GpioController(GpioDriver);
        Bus = kind[(kind.IndexOf('-', StringComparison.Ordinal) + 1)..] switch
        {
            "spi" => "spi",
            "i2c" => "i2c",
            _ => "serial",
        };
        if (kind.StartsWith("mfrc522", StringComparison.Ordinal))
        {
            Mfrc522 = new Mfrc522Chip(field, mfrc522Version);
            GpioDriver.WireReset(ResetPin, Mfrc522.HardReset);
            if (Bus == "serial")
            {
                _mfrcUart = new Mfrc522SerialPort(Mfrc522);
            }
        }
        else
        {
            Pn532 = new Pn532Chip(field);
            GpioDriver.WireReset(ResetPin, Pn532.Reset);
            if (Bus == "serial")
            {
                _pnHsu = new Pn532Hsu(Pn532);
            }
        }
    }

    public static EmulatedReaderRig Create(string kind, RfField? field = null, byte mfrc522Version = 0x92)
    {
        if (!Kinds.Contains(kind))
        {
            throw new ArgumentException($"unknown reader kind '{kind}' (expected {string.Join(", ", Kinds)})", nameof(kind));
        }

        return new EmulatedReaderRig(kind, field ?? new RfField(), mfrc522Version);
    }

    public string Kind { get; }

    /// <summary>"spi", "i2c" or "serial".</summary>
    public string Bus { get; }

    public RfField Field { get; }

    public Mfrc522Chip? Mfrc522 { get; }

    public Pn532Chip? Pn532 { get; }

    public EmulatedGpioDriver GpioDriver { get; }

    public GpioController Gpio { get; }

    public bool IsPn532 => Pn532 is not null;

    /// <summary>The pseudo-terminal a serial driver opens (mfrc522-uart, pn532-hsu).</summary>
    public string PortName => _mfrcUart?.PortName ?? _pnHsu?.PortName ?? throw new InvalidOperationException($"{Kind} has no serial port");

    /// <summary>Reset pulses the chip has seen on its reset pin.</summary>
    public int HardResets => Mfrc522?.HardResets ?? Pn532!.Resets;

    /// <summary>A new bus device, as the kernel gives one per open.</summary>
    public SpiDevice OpenSpi() => Mfrc522 is { } m ? new Mfrc522SpiDevice(m) : new Pn532SpiDevice(Pn532!);

    public I2cDevice OpenI2c() => Mfrc522 is { } m ? new Mfrc522I2cDevice(m) : new Pn532I2cDevice(Pn532!);

    /// <summary>
    /// The rig as a reader bus: the GPIO controller always (the PN532 on SPI needs it for chip
    /// select), the reset pin only when <paramref name="wireReset"/>.
    /// </summary>
    public ReaderBus ReaderBus(bool wireReset = true)
    {
        int reset = wireReset ? ResetPin : -1;
        return Bus switch
        {
            "spi" => Readers.ReaderBus.Spi(OpenSpi, Gpio, reset, IsPn532 ? ChipSelectPin : -1),
            "i2c" => Readers.ReaderBus.I2c(OpenI2c, wireReset ? Gpio : null, reset),
            _ => Readers.ReaderBus.Serial(PortName, wireReset ? Gpio : null, reset),
        };
    }

    /// <summary>A <see cref="CardReader"/> running the real binding against this rig's chip.</summary>
    public CardReader OpenReader(bool wireReset = true, ReaderSettings? settings = null, TimeProvider? time = null, ILogger<CardReader>? logger = null) =>
        new(ReaderKinds.Parse(Kind), ReaderBus(wireReset), settings, time, logger);

    /// <summary>
    /// What reading a city card's SUN message adds to a tap's radio time on a reader of <paramref name="kind"/>, by the
    /// emulated timing model (<see cref="RadioTiming"/>): the air time of the poll in which a fresh reader takes a
    /// personalised NTAG 424 DNA as a tap, less that of the same UID on a card without ISO-DEP (a copy: no SUN read).
    /// The benchmarks report it (<c>sun_radio_ms_*</c>) and a unit test holds it to the budget.
    /// </summary>
    public static TimeSpan SunReadAirTime(string kind)
    {
        byte[] uid = Convert.FromHexString("04C1D2E3F40517");
        byte[] master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
        return TapAirTime(kind, Cards.Ntag424DnaCard.Personalised(uid, master)) - TapAirTime(kind, new Cards.TypeACard(uid, sak: 0x00));
    }

    /// <summary>The air time of the poll in which a fresh reader of <paramref name="kind"/> took <paramref name="card"/> as a tap.</summary>
    public static TimeSpan TapAirTime(string kind, Cards.VirtualCard card)
    {
        using EmulatedReaderRig rig = Create(kind);
        using CardReader reader = rig.OpenReader(time: TimeProvider.System);
        rig.Field.Place(card);
        for (int poll = 0; poll < 10; poll++)
        {
            TimeSpan before = rig.Field.AirTime;
            if (reader.Poll() is { Kind: ReaderEventKind.Tap })
            {
                return rig.Field.AirTime - before;
            }
        }

        throw new InvalidOperationException($"{kind}: {card.Describe()} was not read in 10 polls");
    }

    /// <summary>Fault: the chip stops answering (see <see cref="Mfrc522Chip.StopAnswering"/>, <see cref="Pn532Chip.StopAnswering"/>).</summary>
    public void StopAnswering(bool softResetRecovers = true)
    {
        if (Mfrc522 is { } m)
        {
            m.StopAnswering(softResetRecovers);
        }
        else
        {
            Pn532!.StopAnswering();
        }
    }

    public bool IsAnswering => Mfrc522?.IsAnswering ?? Pn532!.IsAnswering;

    public void Dispose()
    {
        _mfrcUart?.Dispose();
        _pnHsu?.Dispose();
        Gpio.Dispose();
    }
}
