using System.Device.Gpio;
using System.Reflection;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Feedback;
using Maebashi.Edge.Terminal.Gps;
using Maebashi.Edge.Terminal.PinEntry;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Roles;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Hosting;

/// <summary>Makes a tap source for a configured reader, or returns null when the driver is not its own.</summary>
public interface ITapSourceFactory
{
    ITapSource? Create(ReaderOptions reader, TerminalOptions terminal, ILoggerFactory loggers);
}

/// <summary>The built-in driver <c>injected</c>: taps pushed in by code or the control socket.</summary>
public sealed class InjectedTapSourceFactory : ITapSourceFactory
{
    public ITapSource? Create(ReaderOptions reader, TerminalOptions terminal, ILoggerFactory loggers) =>
        reader.Driver == "injected" ? new InjectedTapSource(reader.Name) : null;
}

/// <summary>What a terminal is made with besides its configuration; every part has a production default.</summary>
public sealed class TerminalParts
{
    public TimeProvider Time { get; set; } = TimeProvider.System;
    public ILoggerFactory Loggers { get; set; } = NullLoggerFactory.Instance;

    /// <summary>The GPIO controller for the feedback pins; by default the board's chip when <c>Feedback:Gpio</c> is <c>chip</c>.</summary>
    public GpioController? Gpio { get; set; }

    public IDiskSpace DiskSpace { get; set; } = DriveDiskSpace.Instance;

    /// <summary>The ledger's streams; by default the files in the state directory.</summary>
    public ILedgerStorage? LedgerStorage { get; set; }

    /// <summary>
    /// Validator lines opened by code instead of a serial device (the demo's and tests' simulated RS-485 lines),
    /// by the name a reader's <c>line</c> setting gives.
    /// </summary>
    public Dictionary<string, Func<Stream>> ValidatorLines { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reader drivers, asked in order; the first to return a source wins. Built in: <c>injected</c>,
    /// the hardware readers and validator lines; more are added here (the emulated chips).
    /// </summary>
    public List<ITapSourceFactory> ReaderFactories { get; }

    /// <summary>
    /// GNSS receivers opened by code instead of a serial device (the demo's and tests' emulated receivers), by the
    /// name <c>Gps:Port</c> gives.
    /// </summary>
    public Dictionary<string, Func<Stream>> GpsLines { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Opens the GPIO controller the PIN keypad (<c>Keypad:</c>) is wired to; the controller stays the caller's. By
    /// default the keypad shares the feedback's controller, or the board's chip. The emulated keypad plugs in here.
    /// </summary>
    public Func<KeypadOptions, GpioController>? KeypadGpio { get; set; }

    /// <summary>Control-socket commands besides the built-in ones (the emulation side's <c>place</c>/<c>remove</c>).</summary>
    public List<IControlCommand> ControlCommands { get; } = [];

    public TerminalParts()
    {
        ReaderFactories = [new InjectedTapSourceFactory(), new CardReaderTapSourceFactory(), new ValidatorLineTapSourceFactory(ValidatorLines, () => Time)];
    }

    /// <summary>Extra sources not in the configuration (a validator link, the demo's emulated readers).</summary>
    public List<ITapSource> ExtraSources { get; } = [];
}

/// <summary>Keys read from the owner-only files named in the configuration.</summary>
public sealed record TerminalSecrets(byte[] DeviceKey, byte[] RegionKey, string MqttPassword)
{
    public static TerminalSecrets Load(TerminalOptions o)
    {
        byte[] device = SecretFile.ReadKey(o.Resolve(o.DeviceKeyFile), "DeviceKeyFile");
        byte[] region = SecretFile.ReadKey(o.Resolve(o.RegionKeyFile), "RegionKeyFile");
        string password = o.Broker.PasswordFile is { Length: > 0 } pf
            ? SecretFile.ReadPassword(o.Resolve(pf), "Broker:PasswordFile")
            : DeviceAuth.ComputeMqttPassword(device);
        return new TerminalSecrets(device, region, password);
    }
}

/// <summary>
/// One terminal, assembled: ledger, cfg/deny state, vehicle state, feedback, tap pipeline, uplink,
/// readers and the control socket. The hosted service runs one; tests, benchmarks and the demo
/// start one in-process with <see cref="Create"/> and <see cref="StartAsync"/>.
/// </summary>
public sealed class TerminalRuntime : IAsyncDisposable
{
    public static readonly string Firmware = "terminal-host " + (typeof(TerminalRuntime).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0");

    private readonly TerminalParts _parts;
    private readonly ILogger _log;
    private readonly List<Task> _running = [];
    private CancellationTokenSource? _stop;
    private bool _ownsGpio;
    private GpioController? _keypadGpio;

    private TerminalRuntime(TerminalOptions options, TerminalParts parts, TerminalSecrets secrets)
    {
        Options = options;
        _parts = parts;
        _log = parts.Loggers.CreateLogger("Maebashi.Edge.Terminal");
        string state = options.Resolve(options.StateDirectory);
        Directory.CreateDirectory(state);
        StateDirectory = state;
        Ledger = TapLedger.Open(parts.LedgerStorage ?? new FileLedgerStorage(state), options.Ledger, parts.Time, parts.DiskSpace,
            parts.Loggers.CreateLogger<TapLedger>());
        try
        {
            Cloud = new CloudState(state, options.DeviceId, options.Role, parts.Time, parts.Loggers.CreateLogger<CloudState>());
            Vehicle = new VehicleState();
            GpioController? gpio = parts.Gpio;
            if (gpio is null && options.Feedback.Gpio == "chip")
            {
                gpio = new GpioController();
                _ownsGpio = true;
            }

            Gpio = gpio;
            Display = new TextDisplay(options.Feedback.DisplayFile is { Length: > 0 } f ? options.Resolve(f) : null, _log);
            Feedback = new TerminalFeedback(gpio, options.Feedback, Display, parts.Time, _log);
            Keypad = options.Keypad.Fitted ? OpenKeypad(options.Keypad, parts, gpio) : null;
            Pipeline = new TapPipeline(options, secrets.RegionKey, Ledger, Cloud, Vehicle, Feedback, parts.Time, parts.Loggers.CreateLogger<TapPipeline>(), Keypad);
            Gps = options.Gps.Port is { Length: > 0 } ? new GpsTracker(Vehicle, () => Cloud.Config, parts.Loggers.CreateLogger<GpsTracker>()) : null;
            Uplink = new MqttUplink(options, secrets.DeviceKey, secrets.MqttPassword, Ledger, Cloud, Status, parts.Time, parts.Loggers.CreateLogger<MqttUplink>(), Gps);
            var sources = new List<ITapSource>();
            foreach (ReaderOptions r in options.Readers)
            {
                ITapSource? source = parts.ReaderFactories.Select(f => f.Create(r, options, parts.Loggers)).FirstOrDefault(s => s is not null)
                    ?? throw new TerminalConfigException("configuration", [$"Readers[{r.Name}]:Driver: no driver '{r.Driver}' is available on this terminal"]);
                sources.Add(source);
            }

            sources.AddRange(parts.ExtraSources);
            Sources = sources;
            Control = options.Control.Enabled ? new ControlListener(this, options.Control.Port, parts.ControlCommands, parts.Loggers.CreateLogger<ControlListener>()) : null;
            Feedback.SetIdle(Ledger.DiskFull ? TapPipeline.StorageFullLine : null);
        }
        catch
        {
            Keypad?.Dispose();
            Ledger.Dispose();
            throw;
        }
    }

    private MatrixKeypad OpenKeypad(KeypadOptions options, TerminalParts parts, GpioController? feedbackGpio)
    {
        GpioController? gpio = parts.KeypadGpio?.Invoke(options) ?? feedbackGpio;
        if (gpio is null)
        {
            gpio = new GpioController();
            _keypadGpio = gpio;
        }

        return new MatrixKeypad(options, gpio, parts.Time, _log);
    }

    /// <summary>Builds a terminal from validated options; reads the key files (owner-only) and opens the ledger.</summary>
    public static TerminalRuntime Create(TerminalOptions options, TerminalParts? parts = null)
    {
        if (TerminalOptionsValidator.Check(options) is { Count: > 0 } problems)
        {
            throw new TerminalConfigException("configuration", problems);
        }

        return new TerminalRuntime(options, parts ?? new TerminalParts(), TerminalSecrets.Load(options));
    }

    public TerminalOptions Options { get; }
    public string StateDirectory { get; }
    public TapLedger Ledger { get; }
    public CloudState Cloud { get; }
    public VehicleState Vehicle { get; }

    /// <summary>The bus's GPS (<c>Gps:Port</c>); null without one.</summary>
    public GpsTracker? Gps { get; }
    public GpioController? Gpio { get; }
    public TextDisplay Display { get; }
    public TerminalFeedback Feedback { get; }
    public TapPipeline Pipeline { get; }

    /// <summary>The PIN keypad (<c>Keypad:</c>); null when none is fitted.</summary>
    public MatrixKeypad? Keypad { get; }
    public MqttUplink Uplink { get; }
    public IReadOnlyList<ITapSource> Sources { get; }
    public ControlListener? Control { get; }

    /// <summary>The injected reader of that name (configured with driver <c>injected</c>).</summary>
    public InjectedTapSource Injected(string name) =>
        Sources.OfType<InjectedTapSource>().FirstOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"no injected reader named {name}");

    /// <summary>Starts the readers, the uplink and the control socket; taps can be taken once this returns.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationToken ct = _stop.Token;
        try
        {
            Pipeline.WarmUp();
            Uplink.WarmUp();
        }
        catch (Exception e) when (e is IOException or LiteDB.LiteException or ContractFormatException or System.Text.Json.JsonException)
        {
            // The first tap pays for the JIT then, and reports its own failure to record.
            _log.LogWarning("Tap path warm-up failed: {Error}", e.Message);
        }

        foreach (ITapSource source in Sources)
        {
            _running.Add(Task.Run(() => RunSourceAsync(source, ct), CancellationToken.None));
        }

        _running.Add(Task.Run(() => Uplink.RunAsync(ct), CancellationToken.None));
        if (Gps is not null)
        {
            _running.Add(Task.Run(() => RunGpsAsync(Gps, ct), CancellationToken.None));
        }

        if (Control is not null)
        {
            Control.Start();
            File.WriteAllText(Path.Combine(StateDirectory, "control.port"), Control.Port + "\n");
            _running.Add(Task.Run(() => Control.RunAsync(ct), CancellationToken.None));
        }

        _log.LogInformation("Terminal {Device} ({Role}) running: {Readers} reader(s), broker {Host}:{Port}",
            Options.DeviceId, Options.Role, Sources.Count, Options.Broker.Host, Options.Broker.Port);
        return Task.CompletedTask;
    }

    private async Task RunSourceAsync(ITapSource source, CancellationToken ct)
    {
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await source.RunAsync(Pipeline, ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A reader that fails is restarted; the others go on.
                _log.LogError("Reader {Reader} failed: {Error}; restarting in {Delay}", source.Name, e.Message, delay);
                try
                {
                    await Task.Delay(delay, _parts.Time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
            }
        }
    }

    /// <summary>Reads the GNSS receiver; a line that fails or ends is opened again, with the readers' backoff.</summary>
    private async Task RunGpsAsync(GpsTracker gps, CancellationToken ct)
    {
        string port = Options.Gps.Port!;
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Stream line = GpsLine.Open(Options.Gps, _parts);
                await using (line.ConfigureAwait(false))
                // Closing the line ends a read the serial stream would not cancel.
                using (ct.Register(line.Dispose))
                {
                    long before = gps.Fixes;
                    await gps.ReadAsync(line, _parts.Time.GetUtcNow(), ct);
                    delay = gps.Fixes > before ? TimeSpan.FromSeconds(1) : delay;
                }

                _log.LogWarning("GPS {Port}: the line ended; opening it again in {Delay}", port, delay);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Without a fix the stop comes from the driver or stays the last one passed; taps go on.
                _log.LogError("GPS {Port} failed: {Error}; opening it again in {Delay}", port, e.Message, delay);
            }

            try
            {
                await Task.Delay(delay, _parts.Time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
        }
    }

    /// <summary>The retained status: backlog, last seq, cfg/deny versions, readers, disk full.</summary>
    public DeviceStatus Status(string state)
    {
        LedgerSummary s = Ledger.Summary();
        return new DeviceStatus
        {
            Device = Options.DeviceId,
            State = state,
            Firmware = Firmware,
            Backlog = s.Backlog,
            LastSeq = s.LastSeq,
            OldestUnackedAt = s.OldestUnackedAt,
            CfgVersion = Cloud.Config?.Version,
            DenyVersion = Cloud.DenyVersion,
            DiskFull = s.DiskFull,
            At = _parts.Time.GetUtcNow().ToOffset(Options.UtcOffset),
            Readers = [.. Sources.Select(x => x.Snapshot())],
            Position = Gps?.PositionWhileMoving,
        };
    }

    public async Task StopAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            _log.LogDebug("Stop: {Error}", e.Message);
        }

        _running.Clear();
        _stop.Dispose();
        _stop = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (IDisposable d in Sources.OfType<IDisposable>())
        {
            d.Dispose();
        }

        Control?.Dispose();
        await Uplink.DisposeAsync();
        Feedback.Dispose();
        Keypad?.Dispose();
        _keypadGpio?.Dispose();
        Ledger.Dispose();
        if (_ownsGpio)
        {
            Gpio?.Dispose();
        }
    }
}
