using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
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

    public ReaderTapSource(string name, CardReader reader, ILogger log)
    {
        Name = name;
        _reader = reader;
        _log = log;
    }

    /// <summary>The reader library's settings that follow the terminal's (its repeat window is the pipeline's).</summary>
    public static ReaderSettings SettingsFor(TerminalOptions terminal) => new() { RepeatWindow = terminal.RepeatWindow };

    public string Name { get; }

    public IReadOnlyList<CardTech> Techs => _reader.Techs;

    public async Task RunAsync(ITapSink sink, CancellationToken cancellationToken)
    {
        await foreach (ReaderEvent e in _reader.ReadEventsAsync(cancellationToken))
        {
            switch (e.Kind)
            {
                case ReaderEventKind.Tap when e.Card is { } card:
                    await sink.TapAsync(ToRead(card), cancellationToken);
                    break;
                case ReaderEventKind.RepeatSuppressed when e.Card is { Jpki: not null } card:
                    // A My Number card back within the repeat window, its PIN entry perhaps unfinished: the pipeline
                    // decides (a check-in it recorded is a repeat there too).
                    await sink.TapAsync(ToRead(card), cancellationToken);
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

    private CardRead ToRead(Readers.CardRead card) =>
        new(card.Tech, card.Uid.ToArray(), Name) { Sun = CardRead.SunOf(card.Sun), Jpki = card.Jpki };

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

    public void Dispose() => _reader.Dispose();
}

/// <summary>
/// Drivers for configured readers: <c>mfrc522-spi</c>, <c>mfrc522-i2c</c>, <c>mfrc522-uart</c>,
/// <c>pn532-spi</c>, <c>pn532-i2c</c>, <c>pn532-hsu</c> on the Pi's buses. Other drivers (the
/// emulated chips of Maebashi.Edge.Terminal.Emulation) come in as further factories of
/// <see cref="TerminalParts.ReaderFactories"/>.
/// Settings: <c>SpiBus</c>, <c>SpiChipSelect</c>, <c>Pn532ChipSelectGpio</c>, <c>I2cBus</c>,
/// <c>I2cAddress</c>, <c>SerialPort</c>, <c>ResetPin</c>.
/// </summary>
public sealed class CardReaderTapSourceFactory : ITapSourceFactory
{
    public ITapSource? Create(ReaderOptions reader, TerminalOptions terminal, ILoggerFactory loggers)
    {
        if (!ReaderKinds.TryParse(reader.Driver, out ReaderKind hw))
        {
            return null;
        }

        ILogger<CardReader> log = loggers.CreateLogger<CardReader>();

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
        return new ReaderTapSource(reader.Name, HardwareReaders.Open(o, ReaderTapSource.SettingsFor(terminal), logger: log), log);
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
}
