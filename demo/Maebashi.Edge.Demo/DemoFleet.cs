using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Broker;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Ingest;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Demo;

/// <summary>
/// The whole system on one machine, through the real code paths: the ingest (embedded broker or Mosquitto,
/// LiteDB, HTTP API), two buses each a terminal host with two door validators (the firmware core over the
/// MFRC522 emulator and the RS-485 link), a volunteer event site and a clinic reception on PN532 readers,
/// and the sample registry's people riding, volunteering and visiting the clinic.
/// </summary>
public sealed class DemoFleet : IAsyncDisposable
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private readonly DemoOptions _options;
    private readonly TextWriter _out;
    private readonly ILoggerFactory _loggers;
    private readonly string _dir;
    private readonly List<TerminalRuntime> _terminals = [];
    private readonly List<ValidatorBusSimulator> _validators = [];
    private readonly List<NetworkCut> _links = [];
    private readonly Dictionary<string, Bus> _buses = new(StringComparer.Ordinal);
    private readonly List<Person> _people = [];
    private readonly object _gate = new();
    private readonly Random _random = new(20261126);
    private MosquittoProcess? _mosquitto;
    private volatile bool _myNumberShown;
    private HttpClient? _http;

    private DemoFleet(DemoOptions options, TextWriter output, ILoggerFactory loggers, string dir)
    {
        _options = options;
        _out = output;
        _loggers = loggers;
        _dir = dir;
    }

    public IngestHost Ingest { get; private set; } = null!;
    public CityRegistry Registry { get; private set; } = null!;
    public string AdminToken { get; private set; } = "";
    public Uri Api { get; private set; } = null!;
    public IReadOnlyList<TerminalRuntime> Terminals => _terminals;

    /// <summary>Taps the terminals have decided (validators' taps included once recorded).</summary>
    public long TapsTaken => _terminals.Sum(t => t.Pipeline.Taps);

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

    private async Task StartPartsAsync(CancellationToken ct)
    {
        TimeSpan firstEvent = _options.Duration is { } d ? d / 2 : TimeSpan.FromMinutes(2);
        string registryPath = DemoRegistry.Write(_dir, DateTimeOffset.UtcNow, firstEvent, _options.Registry);
        Registry = RegistryLoader.Load(registryPath);
        LoadPeople(registryPath);

        var ingestOptions = new IngestOptions
        {
            RegistryPath = registryPath,
            DataDirectory = Path.Combine(_dir, "ingest"),
            MqttPort = 0,
            HttpPort = _options.HttpPort,
            CloseInterval = TimeSpan.FromSeconds(5),
        };
        if (_options.Broker == "mosquitto")
        {
            _mosquitto = MosquittoProcess.Start(Registry, Path.Combine(_dir, "mosquitto"), TimeSpan.FromSeconds(15));
            ingestOptions = new IngestOptions
            {
                RegistryPath = registryPath,
                DataDirectory = ingestOptions.DataDirectory,
                HttpPort = _options.HttpPort,
                CloseInterval = ingestOptions.CloseInterval,
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
                RegistryPath = ingestOptions.RegistryPath, DataDirectory = ingestOptions.DataDirectory + "-2", MqttPort = 0, HttpPort = 0,
                CloseInterval = ingestOptions.CloseInterval, Broker = ingestOptions.Broker, BrokerUser = ingestOptions.BrokerUser, BrokerPassword = ingestOptions.BrokerPassword,
            }, _loggers, TimeProvider.System, ct);
        }

        AdminToken = Ingest.GeneratedAdminToken ?? throw new InvalidOperationException("the ingest made no admin token");
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
        var parts = new TerminalParts { Loggers = _loggers, Time = TimeProvider.System }.AddEmulation();
        switch (device.Role)
        {
            case DeviceRoles.Bus:
                ValidatorBusSimulator validators = ValidatorBusSimulator.Start(ValidatorBusSimulator.FrontAndRear(device.Def.Vehicle ?? device.Id));
                _validators.Add(validators);
                string line = "rs485-" + device.Id;
                parts.ValidatorLines[line] = () => validators.HostPort;
                options.Readers =
                [
                    new ReaderOptions { Name = "front", Driver = ValidatorLineTapSourceFactory.Driver, Door = "front", Tap = "board", Settings = { ["line"] = line, ["address"] = "1" } },
                    new ReaderOptions { Name = "rear", Driver = ValidatorLineTapSourceFactory.Driver, Door = "rear", Tap = "alight", Settings = { ["line"] = line, ["address"] = "2" } },
                ];
                _buses[device.Id] = new Bus(device.Id, validators);
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
                break;
        }

        return TerminalRuntime.Create(options, parts);
    }

    private void LoadPeople(string registryPath)
    {
        using FileStream s = File.OpenRead(registryPath);
        RegistryDocument doc = RegistryLoader.Parse(s, registryPath);
        foreach (PersonDef p in doc.Persons ?? [])
        {
            List<(CardTech Tech, byte[] Uid, bool Lost)> cards = [];
            foreach (CardDef c in (doc.Cards ?? []).Where(c => c.Pid == p.Pid))
            {
                if (CardTechs.TryParse(c.Tech, out CardTech tech))
                {
                    cards.Add((tech, Convert.FromHexString(c.Uid), c.Status == CardStatuses.Lost));
                }
            }

            if (cards.Any(c => c.Tech == CardTech.Iso14443A && !c.Lost))
            {
                _people.Add(new Person(p.Pid, cards));
            }
        }
    }

    /// <summary>Runs the scenario until the duration ends or <paramref name="ct"/> is cancelled (Ctrl+C).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (_options.Duration is { } d)
        {
            run.CancelAfter(d);
        }

        var started = DateTimeOffset.UtcNow;
        var tasks = new List<Task>
        {
            Task.Run(() => LiveAsync(started, run.Token), CancellationToken.None),
            Task.Run(() => OutageAsync(run.Token), CancellationToken.None),
            Task.Run(() => EventSiteAsync(run.Token), CancellationToken.None),
            Task.Run(() => ClinicAsync(run.Token), CancellationToken.None),
        };
        tasks.AddRange(_buses.Values.Select((b, i) => Task.Run(() => BusAsync(b, i, run.Token), CancellationToken.None)));
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (NetworkCut link in _links)
        {
            link.Restore();
        }
    }

    private TimeSpan Scaled(double seconds) => TimeSpan.FromSeconds(seconds / _options.Speed);

    /// <summary>One bus runs its route stop by stop; passengers board at the front door and alight at the rear.</summary>
    private async Task BusAsync(Bus bus, int index, CancellationToken ct)
    {
        TerminalRuntime terminal = _terminals.Single(t => t.Options.DeviceId == bus.Device);
        List<RouteDef> routes = [.. Registry.Routes.OrderBy(r => r.Id, StringComparer.Ordinal)];
        RouteDef route = routes[index % routes.Count];
        // Let the validators say hello and take their configuration (and the clinic its first patient).
        await Delay(TimeSpan.FromSeconds(1.5), ct);
        int stop = 0;
        while (!ct.IsCancellationRequested)
        {
            terminal.Vehicle.Set(route.Id, route.Stops[stop].Id);
            bool last = stop == route.Stops.Count - 1;
            foreach (Person p in Riders(bus.Device))
            {
                // Riders stay aboard at least 12 s: within 10 s the same card is the same tap (DESIGN.md §3).
                if ((last || _random.NextDouble() < 0.45) && DateTimeOffset.UtcNow - p.Since >= TimeSpan.FromSeconds(12))
                {
                    // Now and then a passenger forgets to tap off: the trip closes with the highest fare.
                    if (!(last && _random.NextDouble() < 0.15))
                    {
                        await Tap(bus, 1, p.TypeA, ct);
                    }

                    Leave(p);
                }
            }

            if (!last)
            {
                foreach (Person p in Free().Where(_ => _random.NextDouble() < 0.45).Take(3))
                {
                    Take(p, bus.Device);
                    await Tap(bus, 0, p.TypeA, ct);
                }

                if (_random.NextDouble() < 0.05 && _people.FirstOrDefault(x => x.Cards.Any(c => c.Lost)) is { } loser)
                {
                    // A lost card is on the deny list: the door says no.
                    await Tap(bus, 0, loser.Cards.First(c => c.Lost).Uid, ct);
                }
            }

            await Delay(Scaled(6), ct);
            stop++;
            if (stop == route.Stops.Count)
            {
                terminal.Pipeline.EndOfRun();
                stop = 0;
            }
        }
    }

    private static async Task Tap(Bus bus, int door, byte[] uid, CancellationToken ct)
    {
        try
        {
            await bus.Validators.TapAsync(door, new TypeACard(uid), TimeSpan.FromMilliseconds(300), ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Volunteers tap in at the entrance and out at the exit (FeliCa cards too: the PN532 reads them).</summary>
    private async Task EventSiteAsync(CancellationToken ct)
    {
        TerminalRuntime site = _terminals.Single(t => t.Options.Role == DeviceRoles.Event);
        await Delay(TimeSpan.FromSeconds(2), ct);
        while (!ct.IsCancellationRequested)
        {
            foreach (Person p in Volunteers(site.Options.DeviceId))
            {
                if (DateTimeOffset.UtcNow - p.Since >= TimeSpan.FromSeconds(20) && _random.NextDouble() < 0.5)
                {
                    await Present(site, "exit", p.Preferred(_random), ct);
                    Leave(p);
                }
            }

            if (Free().FirstOrDefault(_ => _random.NextDouble() < 0.4) is { } volunteer)
            {
                Take(volunteer, site.Options.DeviceId);
                await Present(site, "entrance", volunteer.Preferred(_random), ct);
            }

            await Delay(Scaled(6), ct);
        }
    }

    /// <summary>Patients tap at reception; one of them with the My Number card.</summary>
    private async Task ClinicAsync(CancellationToken ct)
    {
        TerminalRuntime clinic = _terminals.Single(t => t.Options.Role == DeviceRoles.Clinic);
        while (!ct.IsCancellationRequested)
        {
            // The first patient shows the My Number card (JPKI over the PN532); the others their city cards.
            // Its holder waits at the clinic (goes nowhere else) until that check-in has been read.
            bool myNumberShown = _myNumberShown;
            Person? patient = myNumberShown
                ? Free().FirstOrDefault(_ => _random.NextDouble() < 0.7)
                : _people.FirstOrDefault(p => p.Cards.Any(c => c.Tech == CardTech.Jpki));
            if (patient is not null)
            {
                (CardTech tech, byte[] uid, _) = patient.Cards.FirstOrDefault(c => c.Tech == CardTech.Jpki && !myNumberShown, patient.Cards.First(c => !c.Lost));
                Take(patient, clinic.Options.DeviceId);
                bool taken = await Present(clinic, "reception", (tech, uid), ct);
                _myNumberShown |= taken && tech == CardTech.Jpki;
                Leave(patient);
            }

            await Delay(Scaled(5), ct);
        }
    }

    /// <summary>Holds a card to an emulated reader until the reader has taken it (or 3 s); true when it did.</summary>
    private static async Task<bool> Present(TerminalRuntime terminal, string reader, (CardTech Tech, byte[] Uid) card, CancellationToken ct)
    {
        EmulatedReaderTapSource source = terminal.Emulated(reader);
        VirtualCard virtualCard = VirtualCards.For(card.Tech, card.Uid);
        // Taken means recorded: a read that failed half-way (a card pulled early) records nothing.
        long before = terminal.Ledger.Summary().Entries;
        source.Rig.Field.Place(virtualCard);
        try
        {
            // A My Number card takes several APDUs; a person holds the card until the reader beeps.
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
            while (terminal.Ledger.Summary().Entries == before && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            source.Rig.Field.Remove(virtualCard);
        }

        return terminal.Ledger.Summary().Entries > before;
    }

    /// <summary>The second bus loses its mobile network for a while, keeps taking taps, and catches up.</summary>
    private async Task OutageAsync(CancellationToken ct)
    {
        int busIndex = _terminals.FindLastIndex(t => t.Options.Role == DeviceRoles.Bus);
        if (busIndex < 0)
        {
            return;
        }

        NetworkCut link = _links[busIndex];
        string device = _terminals[busIndex].Options.DeviceId;
        TimeSpan total = _options.Duration ?? TimeSpan.FromMinutes(3);
        await Delay(total * 0.3, ct);
        link.Cut();
        Say($"-- {device}: network lost / 通信断 (taps go on into its ledger)");
        await Delay(total * 0.3, ct);
        link.Restore();
        Say($"-- {device}: network back / 通信復旧 (backlog drains)");
    }

    private async Task LiveAsync(DateTimeOffset started, CancellationToken ct)
    {
        long lastTaps = 0;
        DateTimeOffset lastAt = started;
        while (!ct.IsCancellationRequested)
        {
            await Delay(_options.LiveEvery, ct);
            long taps = TapsTaken;
            DateTimeOffset now = DateTimeOffset.UtcNow;
            double rate = (taps - lastTaps) / Math.Max(0.001, (now - lastAt).TotalSeconds);
            (lastTaps, lastAt) = (taps, now);
            int online = 0;
            try
            {
                JsonArray devices = (await GetJson("api/v1/devices", CancellationToken.None)).AsArray();
                online = devices.Count(d => d?["online"]?.GetValue<bool>() == true);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                online = -1;
            }

            string backlog = string.Join(", ", _terminals.Select(t =>
                $"{t.Options.DeviceId} {t.Ledger.Summary().Backlog}{(_links[_terminals.IndexOf(t)].IsCut ? " (offline)" : "")}"));
            Say(string.Create(CultureInfo.InvariantCulture,
                $"[{now - started:mm\\:ss}] taps {taps} ({rate:F1}/s) | backlog {backlog} | devices online {(online < 0 ? "?" : online.ToString(CultureInfo.InvariantCulture))}/{_terminals.Count}"));
        }
    }

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
    public async Task<DemoReport> ReportAsync(CancellationToken ct)
    {
        var people = new List<PersonReport>();
        foreach (Person p in _people)
        {
            (CardTech tech, byte[] uid, _) = p.Cards.First(c => !c.Lost);
            string tok = CardToken.Compute(Registry.RegionKey, tech, uid);
            JsonNode w = await GetJson($"api/v1/cards/{tok}/wallet", ct);
            JsonArray trips = w["trips"]!.AsArray();
            people.Add(new PersonReport(
                p.Pid, tok,
                trips.Count,
                trips.Sum(t => t!["charge"]!.GetValue<long>()),
                w["value"]!.GetValue<long>(),
                w["points"]!.GetValue<long>(),
                w["pointsBySource"]!["bus"]!.GetValue<long>(),
                w["pointsBySource"]!["volunteer"]!.GetValue<long>(),
                w["pointsBySource"]!["health"]!.GetValue<long>()));
        }

        string today = DateTimeOffset.UtcNow.ToOffset(Jst).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var checkIns = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ClinicDef c in Registry.Clinics)
        {
            checkIns[c.Id] = (await GetJson($"api/v1/clinics/{c.Id}/checkins?date={today}", ct))["checkins"]!.AsArray().Count;
        }

        var participants = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (EventDef e in Registry.Events)
        {
            participants[e.Id] = (await GetJson($"api/v1/events/{e.Id}/participants", ct))["participants"]!.AsArray().Count;
        }

        long quarantined = (await GetJson("api/v1/quarantine?limit=1", ct))["count"]!.GetValue<long>();
        return new DemoReport(people, checkIns, participants, quarantined, TapsTaken);
    }

    public async Task<JsonNode> GetJson(string path, CancellationToken ct)
    {
        using HttpResponseMessage r = await _http!.GetAsync(new Uri(path, UriKind.Relative), ct);
        r.EnsureSuccessStatusCode();
        return JsonNode.Parse(await r.Content.ReadAsStringAsync(ct))!;
    }

    private IEnumerable<Person> Riders(string device)
    {
        lock (_gate)
        {
            return [.. _people.Where(p => p.Where == device)];
        }
    }

    private IEnumerable<Person> Volunteers(string device) => Riders(device);

    private List<Person> Free()
    {
        lock (_gate)
        {
            // Someone who just got off a bus or left the site waits a little (and a repeat tap is 10 s).
            return [.. _people.Where(p => p.Where is null && DateTimeOffset.UtcNow - p.Since >= TimeSpan.FromSeconds(11)
                && (_myNumberShown || !p.Cards.Any(c => c.Tech == CardTech.Jpki))).OrderBy(_ => _random.Next())];
        }
    }

    private void Take(Person p, string where)
    {
        lock (_gate)
        {
            p.Where = where;
            p.Since = DateTimeOffset.UtcNow;
        }
    }

    private void Leave(Person p) => Take(p, null!);

    private void Say(string line)
    {
        lock (_out)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    private static async Task Delay(TimeSpan t, CancellationToken ct)
    {
        try
        {
            await Task.Delay(t, ct);
        }
        catch (OperationCanceledException)
        {
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

    private sealed record Bus(string Device, ValidatorBusSimulator Validators);

    private sealed class Person(string pid, List<(CardTech Tech, byte[] Uid, bool Lost)> cards)
    {
        public string Pid { get; } = pid;
        public List<(CardTech Tech, byte[] Uid, bool Lost)> Cards { get; } = cards;
        public string? Where { get; set; }
        public DateTimeOffset Since { get; set; } = DateTimeOffset.MinValue;
        public byte[] TypeA => Cards.First(c => c.Tech == CardTech.Iso14443A && !c.Lost).Uid;

        /// <summary>Any active card the PN532 reads except the My Number card (kept for the clinic).</summary>
        public (CardTech, byte[]) Preferred(Random random)
        {
            var usable = Cards.Where(c => !c.Lost && c.Tech != CardTech.Jpki).ToList();
            var c = usable[random.Next(usable.Count)];
            return (c.Tech, c.Uid);
        }
    }
}

/// <summary>One person's wallet as the API returns it.</summary>
public sealed record PersonReport(string Pid, string Token, int Trips, long Fares, long Value, long Points, long PointsBus, long PointsVolunteer, long PointsHealth);

/// <summary>The demo's final report.</summary>
public sealed record DemoReport(IReadOnlyList<PersonReport> People, IReadOnlyDictionary<string, int> CheckIns, IReadOnlyDictionary<string, int> Participants, long Quarantined, long TapsTaken)
{
    public int Trips => People.Sum(p => p.Trips);
    public long Fares => People.Sum(p => p.Fares);
    public long PointsBus => People.Sum(p => p.PointsBus);
    public long PointsVolunteer => People.Sum(p => p.PointsVolunteer);
    public long PointsHealth => People.Sum(p => p.PointsHealth);

    public void Write(TextWriter w)
    {
        w.WriteLine();
        w.WriteLine("== 報告 / Report ==");
        w.WriteLine("person  trips  fares     value    points  (bus/volunteer/health)");
        foreach (PersonReport p in People)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Pid,-7} {p.Trips,5}  ¥{p.Fares,6}  ¥{p.Value,6}  {p.Points,6}  ({p.PointsBus}/{p.PointsVolunteer}/{p.PointsHealth})"));
        }

        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trips and fares / 乗車: {Trips} trips, ¥{Fares} in fares"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"points by source / ポイント: bus {PointsBus}, volunteer {PointsVolunteer}, health {PointsHealth}"));
        w.WriteLine("check-ins / 受付: " + string.Join(", ", CheckIns.Select(c => $"{c.Key} {c.Value}")));
        w.WriteLine("participants / 参加: " + string.Join(", ", Participants.Select(p => $"{p.Key} {p.Value}")));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"quarantine / 隔離: {Quarantined}"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TOTALS trips={Trips} fares={Fares} points_bus={PointsBus} points_volunteer={PointsVolunteer} points_health={PointsHealth} checkins={CheckIns.Values.Sum()} participants={Participants.Values.Sum()} quarantined={Quarantined} taps={TapsTaken}"));
    }
}
