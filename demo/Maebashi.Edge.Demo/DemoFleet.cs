using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Gps;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Ingest;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation;
using Maebashi.Edge.Terminal.Emulation.Gps;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.TestSupport;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Demo;

/// <summary>
/// The whole system on one machine, through the real code paths: the ingest (embedded broker or Mosquitto,
/// LiteDB, HTTP API), two buses each a terminal host with two door validators (the firmware core over the
/// MFRC522 emulator and the RS-485 link), a volunteer event site and a clinic reception on PN532 readers,
/// and the sample registry's people riding, volunteering and visiting the clinic.
/// </summary>
/// <remarks>
/// This class builds and owns the parts (each terminal behind its own <see cref="NetworkCut"/>); what the people
/// do is <see cref="DemoScenario"/>, and what the API says at the end is <see cref="DemoReport"/>.
/// </remarks>
public sealed class DemoFleet : IAsyncDisposable
{
    private readonly DemoOptions _options;
    private readonly TextWriter _out;
    private readonly ILoggerFactory _loggers;
    private readonly string _dir;
    private readonly List<TerminalRuntime> _terminals = [];
    private readonly List<ValidatorBusSimulator> _validators = [];
    private readonly List<NetworkCut> _links = [];
    private readonly List<DemoBus> _buses = [];
    private readonly List<DemoPerson> _people = [];
    private readonly DemoScenario _scenario;
    private MosquittoProcess? _mosquitto;
    private HttpClient? _http;

    private DemoFleet(DemoOptions options, TextWriter output, ILoggerFactory loggers, string dir)
    {
        _options = options;
        _out = output;
        _loggers = loggers;
        _dir = dir;
        _scenario = new DemoScenario(this, options);
    }

    public IngestHost Ingest { get; private set; } = null!;
    public CityRegistry Registry { get; private set; } = null!;
    public string AdminToken { get; private set; } = "";

    /// <summary>The console's operators, one per scope, with their passwords (printed for the newcomer).</summary>
    public IReadOnlyList<DemoOperator> Operators { get; private set; } = [];
    public Uri Api { get; private set; } = null!;
    public IReadOnlyList<TerminalRuntime> Terminals => _terminals;

    /// <summary>Taps the terminals have decided (validators' taps included once recorded).</summary>
    public long TapsTaken => _terminals.Sum(t => t.Pipeline.Taps);

    /// <summary>The buses in the order they started, each with its door validators.</summary>
    internal IReadOnlyList<DemoBus> Buses => _buses;

    /// <summary>The registry's people who hold an active Type A card (the scenario's cast).</summary>
    internal IReadOnlyList<DemoPerson> People => _people;

    /// <summary>The people's physical cards and the city's card secrets (null until the fleet starts).</summary>
    internal DemoCards Cards { get; private set; } = null!;

    private readonly Dictionary<TerminalRuntime, TerminalParts> _parts = [];

    /// <summary>What the terminal was made with: the demo reaches its emulated keypad and My Number cards through it.</summary>
    internal TerminalParts PartsOf(TerminalRuntime terminal) => _parts[terminal];

    /// <summary>Every terminal's network cut.</summary>
    internal IReadOnlyList<NetworkCut> Links => _links;

    /// <summary>The network cut between <paramref name="terminal"/> and the broker.</summary>
    internal NetworkCut LinkOf(TerminalRuntime terminal) => _links[_terminals.IndexOf(terminal)];

    /// <summary>Starts the ingest and the fleet; devices connect and take taps from here on.</summary>
    public static async Task<DemoFleet> StartAsync(DemoOptions options, TextWriter output, ILoggerFactory loggers, CancellationToken ct)
    {
        options.Validate();
        string dir = Directory.CreateTempSubdirectory("maebashi-demo-").FullName;
        var fleet = new DemoFleet(options, output, loggers, dir);
        try
        {
            await fleet.StartPartsAsync(ct);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }

        return fleet;
    }

    /// <summary>When the fleet started: the report counts the clinics' check-ins from that day (JST) on.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    private async Task StartPartsAsync(CancellationToken ct)
    {
        StartedAt = DateTimeOffset.UtcNow;
        TimeSpan firstEvent = _options.Duration is { } d ? d / 2 : TimeSpan.FromMinutes(2);
        string registryPath = DemoRegistry.Write(_dir, StartedAt, firstEvent, _options.Registry);
        Registry = RegistryLoader.Load(registryPath);
        _people.AddRange(DemoPerson.LoadAll(registryPath));
        Cards = new DemoCards(
            _people.SelectMany(p => p.Cards).Where(c => c.Tech == CardTech.Iso14443A && Registry.FindCard(Registry.TokenFor(c.Tech, Convert.ToHexString(c.Uid)))?.Authenticated == true)
                .Select(c => Convert.ToHexString(c.Uid)),
            DateTimeOffset.UtcNow);
        (string cardKeys, string jpkiRoots, string jpkiCrl) = Cards.WriteSecrets(_dir, DateTimeOffset.UtcNow);
        (string operatorsPath, string adminToken, IReadOnlyList<DemoOperator> operators) = DemoOperators.Write(_dir, Registry);
        Operators = operators;

        var ingestOptions = new IngestOptions
        {
            RegistryPath = registryPath,
            OperatorsPath = operatorsPath,
            DataDirectory = Path.Combine(_dir, "ingest"),
            Store = _options.Store,
            MqttPort = 0,
            HttpPort = _options.HttpPort,
            CloseInterval = TimeSpan.FromSeconds(5),
            CardKeysFile = cardKeys,
            JpkiRootsFile = jpkiRoots,
            JpkiCrlFile = jpkiCrl,
        };
        if (_options.Broker == "mosquitto")
        {
            _mosquitto = MosquittoProcess.Start(Registry, Path.Combine(_dir, "mosquitto"), TimeSpan.FromSeconds(15));
            ingestOptions = new IngestOptions
            {
                RegistryPath = registryPath,
                OperatorsPath = operatorsPath,
                DataDirectory = ingestOptions.DataDirectory,
                Store = _options.Store,
                HttpPort = _options.HttpPort,
                CloseInterval = ingestOptions.CloseInterval,
                CardKeysFile = cardKeys,
                JpkiRootsFile = jpkiRoots,
                JpkiCrlFile = jpkiCrl,
                Broker = new Uri($"mqtt://127.0.0.1:{_mosquitto.Port}"),
                BrokerUser = "ingest",
                BrokerPassword = File.ReadAllText(_mosquitto.Files.IngestPasswordFile).Trim(),
            };
        }

        try
        {
            Ingest = await IngestHost.StartAsync(ingestOptions, _loggers, TimeProvider.System, ct);
        }
        catch (IOException) when (_options.HttpPort != 0)
        {
            // The chosen HTTP port is taken: any free one will do for a demo.
            Ingest = await IngestHost.StartAsync(new IngestOptions
            {
                RegistryPath = ingestOptions.RegistryPath, OperatorsPath = operatorsPath, DataDirectory = ingestOptions.DataDirectory + "-2", Store = _options.Store, MqttPort = 0, HttpPort = 0,
                CloseInterval = ingestOptions.CloseInterval, CardKeysFile = cardKeys, JpkiRootsFile = jpkiRoots, JpkiCrlFile = jpkiCrl, Broker = ingestOptions.Broker, BrokerUser = ingestOptions.BrokerUser, BrokerPassword = ingestOptions.BrokerPassword,
            }, _loggers, TimeProvider.System, ct);
        }

        AdminToken = adminToken;
        Api = new Uri($"http://127.0.0.1:{Ingest.HttpPort}/");
        _http = new HttpClient { BaseAddress = Api, Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        int brokerPort = _mosquitto?.Port ?? Ingest.MqttPort;

        foreach (DeviceEntry device in Registry.Devices.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            var link = new NetworkCut(brokerPort);
            _links.Add(link);
            TerminalRuntime terminal = StartTerminal(device, link.Port);
            _terminals.Add(terminal);
            await terminal.StartAsync(ct);
        }
    }

    private TerminalRuntime StartTerminal(DeviceEntry device, int brokerPort)
    {
        string home = Path.Combine(_dir, "terminals", device.Id);
        Directory.CreateDirectory(home);
        SecretFile.Write(Path.Combine(home, "device.key"), Convert.ToHexString(device.Key));
        SecretFile.Write(Path.Combine(home, "region.key"), Convert.ToHexString(Registry.RegionKey));
        var options = new TerminalOptions
        {
            DeviceId = device.Id,
            Role = device.Role,
            StateDirectory = Path.Combine(home, "state"),
            DeviceKeyFile = Path.Combine(home, "device.key"),
            RegionKeyFile = Path.Combine(home, "region.key"),
            Vehicle = device.Def.Vehicle,
            Broker = new BrokerOptions
            {
                Host = "127.0.0.1", Port = brokerPort, KeepAlive = TimeSpan.FromSeconds(5),
                ReconnectMin = TimeSpan.FromMilliseconds(500), ReconnectMax = TimeSpan.FromSeconds(3),
            },
            Uplink = new UplinkOptions { AckTimeout = TimeSpan.FromSeconds(5), AckTimeoutMax = TimeSpan.FromSeconds(20), StatusInterval = TimeSpan.FromSeconds(3) },
            Control = new ControlOptions { Enabled = false },
        };
        var parts = new TerminalParts { Loggers = _loggers, Time = TimeProvider.System }.AddEmulation(Cards.MyNumberAuthority);
        switch (device.Role)
        {
            case DeviceRoles.Bus:
                RouteDef route = RouteOf(_buses.Count);
                DriveOnEmulatedGps(options, parts, device.Id, route, seed: _buses.Count + 1);
                ValidatorBusSimulator validators = ValidatorBusSimulator.Start(ValidatorBusSimulator.FrontAndRear(device.Def.Vehicle ?? device.Id));
                _validators.Add(validators);
                string line = "rs485-" + device.Id;
                parts.ValidatorLines[line] = () => validators.HostPort;
                options.Readers =
                [
                    new ReaderOptions { Name = "front", Driver = ValidatorLineTapSourceFactory.Driver, Door = "front", Tap = "board", Settings = { ["line"] = line, ["address"] = "1" } },
                    new ReaderOptions { Name = "rear", Driver = ValidatorLineTapSourceFactory.Driver, Door = "rear", Tap = "alight", Settings = { ["line"] = line, ["address"] = "2" } },
                ];
                _buses.Add(new DemoBus(device.Id, validators, route));
                break;
            case DeviceRoles.Event:
                options.Readers =
                [
                    new ReaderOptions { Name = "entrance", Driver = "emulated:pn532-i2c", Door = "entrance", Tap = "in" },
                    new ReaderOptions { Name = "exit", Driver = "emulated:pn532-i2c", Door = "exit", Tap = "out" },
                ];
                break;
            default:
                options.Readers = [new ReaderOptions { Name = "reception", Driver = "emulated:pn532-i2c", Door = "reception" }];
                // The patient's PIN for a My Number card: a 4×3 keypad (hardware/keypad.md's pins), emulated.
                options.Keypad = new KeypadOptions { RowPins = [16, 19, 20, 21], ColumnPins = [22, 23, 26] };
                break;
        }

        TerminalRuntime runtime = TerminalRuntime.Create(options, parts);
        _parts[runtime] = parts;
        return runtime;
    }

    /// <summary>The route the n-th bus runs: the registry's routes in turn.</summary>
    private RouteDef RouteOf(int bus)
    {
        List<RouteDef> routes = [.. Registry.Routes.OrderBy(r => r.Id, StringComparer.Ordinal)];
        return routes[bus % routes.Count];
    }

    /// <summary>
    /// The bus drives its route's patterns one after the other on an emulated GNSS receiver (docs/gps.md's noise
    /// model at σ = 15 m), so every tap's stop comes from the terminal's geofence. A time-lapse at the demo's speed:
    /// <see cref="DemoCruise"/> m/s and 1 m/s² real, k times faster is k × the cruise and k² × the acceleration.
    /// </summary>
    private void DriveOnEmulatedGps(TerminalOptions options, TerminalParts parts, string device, RouteDef route, int seed)
    {
        double k = _options.Speed * DemoTimeLapse;
        options.Gps.Port = "emulated-gps-" + device;
        IReadOnlyList<RoutePatternDef> patterns = route.Patterns is { Count: > 0 } p ? p : [new RoutePatternDef { Id = route.Id, Stops = [.. route.Stops.Select(s => s.Id)] }];
        GpsDrive drive = GpsDrive.Along(route, patterns, DemoCruise * k, _ => Math.Max(3, (int)Math.Round(DemoDwellSeconds / _options.Speed)), acceleration: k * k);
        parts.AddEmulatedGps(options.Gps.Port, () => new EmulatedGpsReceiver(drive, new GpsNoise(15, seed), TimeProvider.System));
    }

    /// <summary>A city bus between stops (about 40 km/h).</summary>
    private const double DemoCruise = 11;

    /// <summary>Seconds the demo's buses stand at each stop, at speed 1.</summary>
    private const double DemoDwellSeconds = 12;

    /// <summary>The demo's buses drive this many times faster than real ones, so that a 90-second demo passes several stops.</summary>
    private const double DemoTimeLapse = 3;

    /// <summary>Runs the scenario until the duration ends or <paramref name="ct"/> is cancelled (Ctrl+C).</summary>
    public Task RunAsync(CancellationToken ct) => _scenario.RunAsync(ct);

    /// <summary>Waits until every terminal and validator has delivered its backlog and the ingest acknowledged it.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            bool validatorsEmpty = _terminals.SelectMany(t => t.Sources.OfType<ValidatorLineTapSource>()).All(s => s.Validators.All(v => v.Backlog == 0));
            if (validatorsEmpty && _terminals.All(t => t.Ledger.Summary().Backlog == 0))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        return false;
    }

    /// <summary>The final report, read from the ingest's HTTP API (so its totals are what the API returns).</summary>
    public Task<DemoReport> ReportAsync(CancellationToken ct) => DemoReport.ReadAsync(this, ct);

    public async Task<JsonNode> GetJson(string path, CancellationToken ct)
    {
        using HttpResponseMessage r = await _http!.GetAsync(new Uri(path, UriKind.Relative), ct);
        r.EnsureSuccessStatusCode();
        return JsonNode.Parse(await r.Content.ReadAsStringAsync(ct))!;
    }

    /// <summary>A line of the demo's output (the scenario's live lines share it).</summary>
    internal void Say(string line)
    {
        lock (_out)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (TerminalRuntime t in _terminals)
        {
            await t.DisposeAsync();
        }

        foreach (ValidatorBusSimulator v in _validators)
        {
            await v.DisposeAsync();
        }

        foreach (NetworkCut l in _links)
        {
            await l.DisposeAsync();
        }

        if (Ingest is not null)
        {
            await Ingest.DisposeAsync();
        }

        _mosquitto?.Dispose();
        Cards?.Dispose();
        _http?.Dispose();
        if (!_options.Keep)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        else
        {
            Say($"data kept in {_dir}");
        }
    }
}

/// <summary>A bus of the fleet and its door validators.</summary>
internal sealed record DemoBus(string Device, ValidatorBusSimulator Validators, RouteDef Route);
