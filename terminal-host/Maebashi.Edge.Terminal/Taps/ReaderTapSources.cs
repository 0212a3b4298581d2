using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Readers;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Taps;

/// <summary>
/// A card reader of Maebashi.Edge.Readers (MFRC522 / PN532 through Iot.Device.Bindings) as a tap
/// source: each tap it reports goes into the terminal's pipeline; what the reader tells the
/// passenger on its own (one card at a time, tap again) is shown on the display.
/// </summary>
public sealed class ReaderTapSource : ITapSource, IDisposable
{
    private readonly CardReader _reader;
    private readonly ILogger _log;

    public ReaderTapSource(string name, CardReader reader, ILogger log, EmulatedReaderRig? rig = null)
    {
        Name = name;
        _reader = reader;
        _log = log;
        Rig = rig;
    }

    public string Name { get; }

    public IReadOnlyList<CardTech> Techs => _reader.Techs;

    /// <summary>The emulated chip behind this reader (driver <c>emulated:KIND</c>), where the demo places cards.</summary>
    public EmulatedReaderRig? Rig { get; }

    public async Task RunAsync(ITapSink sink, CancellationToken cancellationToken)
    {
        await foreach (ReaderEvent e in _reader.ReadEventsAsync(cancellationToken))
        {
            switch (e.Kind)
            {
                case ReaderEventKind.Tap when e.Card is { } card:
                    await sink.TapAsync(new CardRead(card.Tech, card.Uid.ToArray(), Name), cancellationToken);
                    break;
                case ReaderEventKind.RepeatSuppressed:
                    // The pipeline's own repeat window answers repeats; the reader's is the same rule.
                    break;
                case ReaderEventKind.ReaderFailed or ReaderEventKind.ReaderRecovered:
                    _log.LogWarning("Reader {Reader}: {Message}", Name, e.Message);
                    sink.Notice(e.Message);
                    break;
                default:
                    sink.Notice(e.Message);
                    break;
            }
        }
    }

    public ReaderStatus Snapshot()
    {
        ReaderHealth h = _reader.Health;
        return new ReaderStatus
        {
            Name = Name,
            Techs = [.. Techs.Select(t => t.ToWire())],
            Healthy = h.Working,
            LastError = h.LastError,
            Resets = h.Resets,
            Taps = h.Taps,
        };
    }

    public void Dispose()
    {
        _reader.Dispose();
        Rig?.Dispose();
    }
}

/// <summary>
/// Drivers for configured readers: <c>mfrc522-spi</c>, <c>mfrc522-i2c</c>, <c>mfrc522-uart</c>,
/// <c>pn532-spi</c>, <c>pn532-i2c</c>, <c>pn532-hsu</c> on the Pi's buses, and
/// <c>emulated:KIND</c> — the same driver against a chip emulator (the demo, tests).
/// Settings: <c>SpiBus</c>, <c>SpiChipSelect</c>, <c>Pn532ChipSelectGpio</c>, <c>I2cBus</c>,
/// <c>I2cAddress</c>, <c>SerialPort</c>, <c>ResetPin</c>.
/// </summary>
public sealed class CardReaderTapSourceFactory : ITapSourceFactory
{
    public const string EmulatedPrefix = "emulated:";

    public ITapSource? Create(ReaderOptions reader, TerminalOptions terminal, ILoggerFactory loggers)
    {
        var settings = new ReaderSettings { RepeatWindow = terminal.RepeatWindow };
        ILogger<CardReader> log = loggers.CreateLogger<CardReader>();
        if (reader.Driver.StartsWith(EmulatedPrefix, StringComparison.Ordinal))
        {
            string kind = reader.Driver[EmulatedPrefix.Length..];
            if (!ReaderKinds.TryParse(kind, out _))
            {
                throw new TerminalConfigException("configuration", [$"Readers[{reader.Name}]:Driver: unknown reader kind '{kind}' (expected emulated:{string.Join(" | emulated:", ReaderKinds.All)})"]);
            }

            EmulatedReaderRig rig = EmulatedReaderRig.Create(kind);
            return new ReaderTapSource(reader.Name, rig.OpenReader(settings: settings, logger: log), log, rig);
        }

        if (!ReaderKinds.TryParse(reader.Driver, out ReaderKind hw))
        {
            return null;
        }

        var o = new HardwareReaderOptions
        {
            Kind = hw,
            SpiBus = Int(reader, "SpiBus", 0),
            SpiChipSelect = Int(reader, "SpiChipSelect", 0),
            Pn532ChipSelectGpio = Int(reader, "Pn532ChipSelectGpio", 8),
            I2cBus = Int(reader, "I2cBus", 1),
            I2cAddress = reader.Settings.ContainsKey("I2cAddress") ? Int(reader, "I2cAddress", 0) : null,
            SerialPort = reader.Settings.GetValueOrDefault("SerialPort") ?? "/dev/serial0",
            ResetPin = Int(reader, "ResetPin", -1),
        };
        return new ReaderTapSource(reader.Name, HardwareReaders.Open(o, settings, logger: log), log);
    }

    private static int Int(ReaderOptions r, string key, int fallback)
    {
        if (!r.Settings.TryGetValue(key, out string? text))
        {
            return fallback;
        }

        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return int.TryParse(hex ? text[2..] : text, hex ? NumberStyles.HexNumber : NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new TerminalConfigException("configuration", [$"Readers[{r.Name}]:Settings:{key}: expected a whole number, got '{text}'"]);
    }

    /// <summary>A virtual card of the tech with that uid, to place on an emulated reader's field.</summary>
    public static VirtualCard VirtualCardFor(CardTech tech, byte[] uid) => tech switch
    {
        CardTech.Iso14443A => new TypeACard(uid),
        CardTech.Felica => new FelicaCard(uid),
        _ => new MyNumberCard(MyNumberCard.CreateUserAuthenticationCertificate(uid)),
    };
}
