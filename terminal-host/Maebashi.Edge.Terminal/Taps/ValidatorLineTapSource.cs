using System.Globalization;
using System.IO.Ports;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.ValidatorLink;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Taps;

/// <summary>
/// Driver <c>validator</c>: door validators on one RS-485 line, the terminal as the line's master.
/// Every reader entry on the same <c>line</c> is one validator (setting <c>address</c>); the first entry
/// runs the line, the others report their validator's state. A validator first asks for a verdict
/// (<see cref="ITapSink.Preview"/>: deny list, fare — nothing recorded), then sends the tap it recorded
/// with its own decision, which goes into the ledger like any other tap; the validator forgets it only
/// after the ledger commit.
/// </summary>
public sealed class ValidatorLineTapSourceFactory(IReadOnlyDictionary<string, Func<Stream>> lines, Func<TimeProvider> time) : ITapSourceFactory
{
    public const string Driver = "validator";

    private readonly Dictionary<string, ValidatorLineTapSource> _open = new(StringComparer.Ordinal);

    public ITapSource? Create(ReaderOptions reader, TerminalOptions terminal, ILoggerFactory loggers)
    {
        if (reader.Driver != Driver)
        {
            return null;
        }

        string line = Setting(reader, "line");
        _ = Address(reader);
        lock (_open)
        {
            if (_open.TryGetValue(line, out ValidatorLineTapSource? running))
            {
                return new ValidatorDoorSource(reader.Name, running, Address(reader));
            }

            List<ReaderOptions> doors = [.. terminal.Readers.Where(r => r.Driver == Driver && Setting(r, "line") == line)];
            Func<Stream> open = lines.TryGetValue(line, out Func<Stream>? code) ? code : () => OpenSerial(line, reader);
            // A line opened by code (a simulator) belongs to its opener; a serial port to the source.
            var source = new ValidatorLineTapSource(reader.Name, line, open, ownsStream: code is null, doors, time(), loggers);
            _open[line] = source;
            return source;
        }
    }

    internal static byte Address(ReaderOptions reader)
    {
        string text = Setting(reader, "address");
        return byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out byte a) && a is >= 1 and <= 126
            ? a
            : throw new TerminalConfigException("configuration", [$"Readers[{reader.Name}]:Settings:address: expected a validator address 1–126, got '{text}'"]);
    }

    private static string Setting(ReaderOptions reader, string key) =>
        reader.Settings.TryGetValue(key, out string? v) && !string.IsNullOrWhiteSpace(v)
            ? v
            : throw new TerminalConfigException("configuration", [$"Readers[{reader.Name}]:Settings:{key}: missing (driver validator needs line and address)"]);

    private static Stream OpenSerial(string device, ReaderOptions reader)
    {
        int baud = reader.Settings.TryGetValue("baud", out string? b) ? int.Parse(b, CultureInfo.InvariantCulture) : 115200;
        var port = new SerialPort(device, baud, Parity.None, 8, StopBits.One) { ReadTimeout = SerialPort.InfiniteTimeout };
        port.Open();
        return port.BaseStream;
    }
}

/// <summary>The line's master and the validators' tap handler.</summary>
public sealed class ValidatorLineTapSource : ITapSource, IValidatorTapHandler
{
    private readonly string _line;
    private readonly Func<Stream> _open;
    private readonly bool _ownsStream;
    private readonly Dictionary<byte, string> _readerByAddress;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private ITapSink? _sink;
    private ValidatorLinkMaster? _master;
    private long _taps;
    private string? _lastError;

    internal ValidatorLineTapSource(string name, string line, Func<Stream> open, bool ownsStream, IReadOnlyList<ReaderOptions> doors, TimeProvider time, ILoggerFactory loggers)
    {
        _ownsStream = ownsStream;
        Name = name;
        _line = line;
        _open = open;
        _time = time;
        _loggers = loggers;
        _log = loggers.CreateLogger<ValidatorLineTapSource>();
        _readerByAddress = doors.ToDictionary(ValidatorLineTapSourceFactory.Address, d => d.Name);
    }

    public string Name { get; }

    public IReadOnlyList<CardTech> Techs { get; } = [CardTech.Iso14443A];

    /// <summary>The validators as last polled (online, backlog, chip, firmware).</summary>
    public IReadOnlyList<ValidatorState> Validators => _master?.Validators ?? [];

    public async Task RunAsync(ITapSink sink, CancellationToken cancellationToken)
    {
        _sink = sink;
        Stream stream;
        try
        {
            stream = _open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            _lastError = $"cannot open validator line {_line}: {e.Message}";
            throw new IOException(_lastError, e);
        }

        try
        {
            var options = new ValidatorLinkOptions();
            options.Addresses.Clear();
            foreach (byte a in _readerByAddress.Keys.Order())
            {
                options.Addresses.Add(a);
            }

            _master = new ValidatorLinkMaster(stream, options, this, _time, _loggers.CreateLogger<ValidatorLinkMaster>());
            _log.LogInformation("Validator line {Line}: polling {Count} validator(s)", _line, options.Addresses.Count);
            await _master.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (_ownsStream)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public ValueTask<ValidatorVerdict> DecideAsync(ValidatorVerdictRequest request, CancellationToken cancellationToken)
    {
        ITapSink sink = _sink ?? throw new InvalidOperationException("validator line not running");
        TapOutcome o = sink.Preview(new CardRead(request.Tech, request.Uid, ReaderFor(request.Address)) { At = request.At });
        ValidatorVerdict verdict = o.Verdict switch
        {
            Verdict.Accept => ValidatorVerdict.Accepted((int)(o.Fare ?? 0)),
            Verdict.Repeat when o.Green => ValidatorVerdict.Accepted((int)(o.Fare ?? 0)),
            Verdict.Refused => ValidatorVerdict.Denied(TapReason.OutOfService),
            _ => ValidatorVerdict.Denied(TapReason.DenyListed),
        };
        return ValueTask.FromResult(verdict);
    }

    public async ValueTask StoreAsync(ValidatorTap tap, CancellationToken cancellationToken)
    {
        ITapSink sink = _sink ?? throw new InvalidOperationException("validator line not running");
        var read = new CardRead(tap.Tech, tap.Uid, ReaderFor(tap.Address))
        {
            At = tap.At,
            Offline = tap.Offline,
            Decision = tap.Accepted ? Decisions.Accept : Decisions.Deny,
            Sun = tap.Sun is { } sun ? new CardSun { E = sun.EncryptedHex, C = sun.MacHex } : null,
        };
        TapOutcome o = await sink.TapAsync(read, cancellationToken).ConfigureAwait(false);
        if (o.Verdict == Verdict.Refused && tap.Accepted)
        {
            // The ride happened but cannot be recorded now (storage full, no route yet): the validator keeps it and resends.
            _lastError = o.Display;
            throw new IOException($"validator tap not recorded: {o.Display}");
        }

        // Recorded, a repeat of a tap already recorded (e.g. resent after a host restart), or a denied tap
        // that cannot be recorded (out of service): the validator may forget it.
        Interlocked.Increment(ref _taps);
    }

    public ReaderStatus Snapshot()
    {
        IReadOnlyList<ValidatorState> v = Validators;
        return new ReaderStatus
        {
            Name = Name,
            Techs = [CardTechs.Iso14443A],
            Healthy = v.Count > 0 && v.All(s => s.Online && s.ChipOk),
            LastError = _lastError ?? (v.FirstOrDefault(s => !s.Online) is { } off ? $"validator {off.Address} ({off.DeviceId}) offline" : null),
            Taps = Interlocked.Read(ref _taps),
        };
    }

    internal ValidatorState? StateOf(byte address) => Validators.FirstOrDefault(s => s.Address == address);

    private string ReaderFor(byte address) => _readerByAddress.GetValueOrDefault(address) ?? Name;
}

/// <summary>A second validator on a line another reader entry runs: reports its state, reads through the line.</summary>
internal sealed class ValidatorDoorSource(string name, ValidatorLineTapSource line, byte address) : ITapSource
{
    public string Name { get; } = name;

    public IReadOnlyList<CardTech> Techs => line.Techs;

    public Task RunAsync(ITapSink sink, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    public ReaderStatus Snapshot()
    {
        ValidatorState? s = line.StateOf(address);
        return new ReaderStatus
        {
            Name = Name,
            Techs = [CardTechs.Iso14443A],
            Healthy = s is { Online: true, ChipOk: true },
            LastError = s is null ? "not polled yet" : s.Online ? null : $"validator {address} offline",
            Taps = s?.TapsDelivered ?? 0,
        };
    }
}
