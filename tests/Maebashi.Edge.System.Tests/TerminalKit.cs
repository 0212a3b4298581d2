using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Taps;

namespace Maebashi.Edge.System.Tests;

/// <summary>One step of a tap script: a card at a reader of a device at a (simulated) time, or a bus's end of run.</summary>
internal sealed record Step(string Device, DateTimeOffset? At, CardTech Tech, string? Uid, string? Reader, string? Route = null, string? Stop = null)
{
    public bool IsEndOfRun => Uid is null;

    public static Step Board(DateTimeOffset? at, string uid, string stop, string route = "R01", string device = "BUS0042") => new(device, at, CardTech.Iso14443A, uid, "rear", route, stop);

    public static Step Alight(DateTimeOffset? at, string uid, string stop, string route = "R01", string device = "BUS0042") => new(device, at, CardTech.Iso14443A, uid, "front", route, stop);

    public static Step End(DateTimeOffset? at, string stop, string route = "R01", string device = "BUS0042") => new(device, at, CardTech.Iso14443A, null, null, route, stop);

    public static Step EventIn(DateTimeOffset at, string uid) => new("EVT01", at, CardTech.Iso14443A, uid, "entrance");

    public static Step EventOut(DateTimeOffset at, string uid) => new("EVT01", at, CardTech.Iso14443A, uid, "exit");

    public static Step Checkin(DateTimeOffset at, string uid, CardTech tech = CardTech.Iso14443A) => new("CLN01", at, tech, uid, "reception");
}

/// <summary>A disk whose free space a test turns off and on.</summary>
internal sealed class SwitchableDisk : IDiskSpace
{
    public volatile bool Full;

    public long? FreeBytes(string path) => Full ? 1024 : 10L << 30;
}

/// <summary>
/// In-process terminal hosts (the real <see cref="TerminalRuntime"/>: pipeline, LiteDB ledger, MQTT uplink) for
/// the registry's bus, event site and clinic reception, on one simulated clock, each behind its own
/// <see cref="NetworkCut"/> so the test can cut a terminal's network.
/// </summary>
internal sealed class Fleet : IAsyncDisposable
{
    private readonly Dictionary<string, TerminalRuntime> _terminals = [];
    private readonly Dictionary<string, NetworkCut> _links = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("maebashi-fleet-").FullName;

    public SimClock Clock { get; } = new();

    /// <summary>The terminals' log (information and above), for failure messages.</summary>
    public MemoryLog Log { get; } = new();

    /// <summary>Every tap the terminals accepted and recorded: (device, seq).</summary>
    public List<(string Device, ulong Seq, Step Step)> Accepted { get; } = [];

    public TerminalRuntime this[string device] => _terminals[device];

    public NetworkCut Link(string device) => _links[device];

    public static async Task<Fleet> StartAsync(int brokerPort, IEnumerable<string> devices, IDiskSpace? disk = null, int batchSize = 200, Action<TerminalOptions, TerminalParts>? configure = null)
    {
        var fleet = new Fleet();
        CityRegistry registry = FaultRegistry.Load();
        foreach (string id in devices)
        {
            DeviceEntry dev = registry.FindDevice(id) ?? throw new ArgumentException("no device " + id);
            string dir = Path.Combine(fleet._dir, id);
            Directory.CreateDirectory(dir);
            SecretFile.Write(Path.Combine(dir, "device.key"), FaultRegistry.DeviceKeyHex(id));
            SecretFile.Write(Path.Combine(dir, "region.key"), Convert.ToHexString(FaultRegistry.RegionKey));
            var link = new NetworkCut(brokerPort);
            fleet._links[id] = link;
            var options = new TerminalOptions
            {
                DeviceId = id,
                Role = dev.Def.Role,
                StateDirectory = Path.Combine(dir, "state"),
                DeviceKeyFile = Path.Combine(dir, "device.key"),
                RegionKeyFile = Path.Combine(dir, "region.key"),
                Control = new ControlOptions { Enabled = false },
                Broker = new BrokerOptions { Host = "127.0.0.1", Port = link.Port, ReconnectMin = TimeSpan.FromMilliseconds(50), ReconnectMax = TimeSpan.FromMilliseconds(500), ConnectTimeout = TimeSpan.FromSeconds(5) },
                Uplink = new UplinkOptions { BatchSize = batchSize, AckTimeout = TimeSpan.FromSeconds(5), AckTimeoutMax = TimeSpan.FromSeconds(10) },
                Readers = dev.Def.Role switch
                {
                    DeviceRoles.Bus => [new ReaderOptions { Name = "rear", Door = "rear", Tap = "board" }, new ReaderOptions { Name = "front", Door = "front", Tap = "alight" }],
                    DeviceRoles.Event => [new ReaderOptions { Name = "entrance", Tap = "in" }, new ReaderOptions { Name = "exit", Tap = "out" }],
                    _ => [new ReaderOptions { Name = "reception" }],
                },
            };
            var parts = new TerminalParts { Time = fleet.Clock, Loggers = new Microsoft.Extensions.Logging.LoggerFactory([fleet.Log]) };
            if (disk is not null)
            {
                parts.DiskSpace = disk;
            }

            // A fault may put other readers on a terminal (e.g. the bus's door validators on their RS-485 line).
            configure?.Invoke(options, parts);

            TerminalRuntime t = TerminalRuntime.Create(options, parts);
            fleet._terminals[id] = t;
            await t.StartAsync();
        }

        return fleet;
    }

    /// <summary>Waits until every terminal holds its configuration from the ingest (the retained cfg).</summary>
    public async Task ConfiguredAsync(FaultStack stack)
    {
        foreach (TerminalRuntime t in _terminals.Values)
        {
            await stack.Until($"{t.Options.DeviceId} has its cfg", () => Task.FromResult(t.Cloud.Config is not null));
        }
    }

    /// <summary>Plays the steps at their simulated times; returns the outcome of each.</summary>
    public async Task<List<TapOutcome?>> PlayAsync(IEnumerable<Step> steps)
    {
        var outcomes = new List<TapOutcome?>();
        foreach (Step s in steps)
        {
            Clock.Set(s.At);
            TerminalRuntime t = _terminals[s.Device];
            if (s.Route is not null)
            {
                t.Vehicle.Set(s.Route, s.Stop);
            }

            if (s.IsEndOfRun)
            {
                var e = t.Pipeline.EndOfRun();
                Assert.NotNull(e);
                Accepted.Add((s.Device, e.Seq, s));
                outcomes.Add(null);
                continue;
            }

            TapOutcome o = await t.Pipeline.TapAsync(new CardRead(s.Tech, Convert.FromHexString(s.Uid!), s.Reader!));
            if (o.Seq is ulong seq)
            {
                Accepted.Add((s.Device, seq, s));
            }

            outcomes.Add(o);
        }

        return outcomes;
    }

    /// <summary>Waits until every terminal's ledger has no entry the ingest has not acknowledged.</summary>
    public async Task DrainedAsync(FaultStack stack, TimeSpan? timeout = null)
    {
        foreach (TerminalRuntime t in _terminals.Values)
        {
            try
            {
                await stack.Until($"{t.Options.DeviceId} has drained its backlog (now {t.Ledger.Backlog})", () => Task.FromResult(t.Ledger.Backlog == 0), timeout);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(e.Message + "\n--- terminals ---\n" + Log, e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (TerminalRuntime t in _terminals.Values)
        {
            await t.DisposeAsync();
        }

        foreach (NetworkCut l in _links.Values)
        {
            await l.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The real service, <c>maebashi-edge terminal run --config FILE</c>, as a child process, with its control socket.</summary>
internal sealed class TerminalProcess : IDisposable
{
    private readonly string _config;
    private string _earlierOutput = "";
    private ChildProcess? _process;

    public TerminalProcess(string dir, int brokerPort)
    {
        Directory.CreateDirectory(dir);
        StateDirectory = Path.Combine(dir, "state");
        SecretFile.Write(Path.Combine(dir, "device.key"), FaultRegistry.DeviceKeyHex("BUS0042"));
        SecretFile.Write(Path.Combine(dir, "region.key"), Convert.ToHexString(FaultRegistry.RegionKey));
        var cfg = new JsonObject
        {
            ["DeviceId"] = "BUS0042",
            ["Role"] = "bus",
            [nameof(StateDirectory)] = "state",
            ["DeviceKeyFile"] = "device.key",
            ["RegionKeyFile"] = "region.key",
            ["Broker"] = new JsonObject { ["Host"] = "127.0.0.1", ["Port"] = brokerPort, ["ReconnectMin"] = "00:00:00.100", ["ReconnectMax"] = "00:00:01" },
            ["Uplink"] = new JsonObject { ["BatchSize"] = 10, ["AckTimeout"] = "00:00:05", ["AckTimeoutMax"] = "00:00:10" },
            ["Readers"] = new JsonArray
            {
                new JsonObject { ["Name"] = "rear", ["Driver"] = "injected", ["Door"] = "rear", ["Tap"] = "board" },
                new JsonObject { ["Name"] = "front", ["Driver"] = "injected", ["Door"] = "front", ["Tap"] = "alight" },
            },
        };
        _config = Path.Combine(dir, "terminal.json");
        File.WriteAllText(_config, cfg.ToJsonString());
    }

    public string StateDirectory { get; }

    /// <summary>What every run so far printed.</summary>
    public string Output => _earlierOutput + _process?.Log;

    public async Task StartAsync()
    {
        Directory.CreateDirectory(StateDirectory);
        File.Delete(Path.Combine(StateDirectory, "control.port"));
        if (_process is not null)
        {
            _earlierOutput += _process.Log + "\n";
            _process.Dispose();
            _process = null;
        }

        _process = await EdgeCli.StartTerminalAsync(_config);
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard() => _process?.KillHard();

    public ControlClient Control() => new(StateDirectory);

    public void Dispose() => _process?.Dispose();
}

/// <summary>Keeps the in-process terminals' log lines (warnings and above) for failure messages.</summary>
internal sealed class MemoryLog : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
{
    private readonly StringBuilder _text = new();

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            lock (_text)
            {
                _text.Append(DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)).Append(' ').Append(logLevel).Append(' ').AppendLine(formatter(state, exception));
            }
        }
    }

    public void Dispose()
    {
    }
}
