using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.System.Tests;

public enum BrokerKind
{
    /// <summary>The ingest's own MQTTnet broker (<c>ingest run</c> default).</summary>
    Embedded,

    /// <summary>A real Mosquitto started from Debian's package, the ingest as its client.</summary>
    Mosquitto,
}

/// <summary>
/// The registry of the fault suite: the sample registry (its devices, routes, tariff, clinics, keys) plus
/// many riders, so that a burst of taps needs no card twice within the 10 s repeat window, and an event
/// whose window lies in the simulated past.
/// </summary>
internal static class FaultRegistry
{
    public const int Riders = 200;
    public const string EventId = "E-FAULT-PARK";

    /// <summary>The event's window: 2026-11-20 09:00–12:00 JST (simulated scripts run in the days around it).</summary>
    public static readonly DateTimeOffset EventStart = new(2026, 11, 20, 9, 0, 0, TimeSpan.FromHours(9));

    private static readonly Lazy<string> PathLazy = new(Write);

    public static string Path => PathLazy.Value;

    public static CityRegistry Load() => RegistryLoader.Load(Path);

    public static byte[] RegionKey => Convert.FromHexString(Sample["keys"]!["regionKey"]!.GetValue<string>());

    public static string DeviceKeyHex(string device) =>
        Sample["devices"]!.AsArray().First(d => d!["id"]!.GetValue<string>() == device)!["key"]!.GetValue<string>();

    /// <summary>Rider i's card (4-byte UID, Type A). Riders 0–9 are children, 10–14 infants, the rest adults.</summary>
    public static string RiderUid(int i) => "5A" + i.ToString("X6", CultureInfo.InvariantCulture);

    public static string Token(CardTech tech, string uid) => CardToken.Compute(RegionKey, tech, uid);

    /// <summary>Every active card of the registry: (tech, uid).</summary>
    public static IReadOnlyList<(CardTech Tech, string Uid)> ActiveCards()
    {
        var list = new List<(CardTech, string)>();
        foreach (JsonNode? c in Written["cards"]!.AsArray())
        {
            if (c!["status"]!.GetValue<string>() == "active")
            {
                list.Add((c["tech"]!.GetValue<string>() == "felica" ? CardTech.Felica : CardTech.Iso14443A, c["uid"]!.GetValue<string>()));
            }
        }

        return list;
    }

    private static JsonNode Sample => JsonNode.Parse(File.ReadAllText(SharedFixtures.RegistryPath))!;

    private static JsonNode Written => JsonNode.Parse(File.ReadAllText(Path))!;

    private static string Write()
    {
        JsonNode doc = Sample;
        JsonArray persons = doc["persons"]!.AsArray();
        JsonArray cards = doc["cards"]!.AsArray();
        for (int i = 0; i < Riders; i++)
        {
            string birth = i < 10 ? "2016-04-10" : i < 15 ? "2023-03-03" : "1985-07-0" + (1 + (i % 9)).ToString(CultureInfo.InvariantCulture);
            var person = new JsonObject
            {
                ["pid"] = "PF" + i.ToString("D4", CultureInfo.InvariantCulture),
                ["birthDate"] = birth,
                ["flags"] = new JsonArray(),
                ["autoPointPay"] = i % 2 == 0,
                // Enough for four days at the daily cap: a rider in debt would go on the deny list, and a terminal that
                // hears of it denies their next tap while an offline one accepts it — both right, but not comparable.
                ["openingValue"] = 3000 + (100 * (i % 5)),
            };
            persons.Add(person);
            cards.Add(new JsonObject { ["uid"] = RiderUid(i), ["tech"] = "iso14443a", ["pid"] = person["pid"]!.GetValue<string>(), ["status"] = "active" });
        }

        doc["events"]!.AsArray().Add(new JsonObject
        {
            ["id"] = EventId,
            ["sector"] = "health",
            ["name"] = "前橋公園 ラジオ体操 (fault suite)",
            ["start"] = EventStart.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["end"] = EventStart.AddHours(3).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            ["points"] = 20,
            ["pointsPerHour"] = 30,
            ["maxPoints"] = 90,
            ["sites"] = new JsonArray("EVT01"),
        });
        string dir = Directory.CreateTempSubdirectory("maebashi-fault-registry-").FullName;
        string path = global::System.IO.Path.Combine(dir, "registry.json");
        File.WriteAllText(path, doc.ToJsonString());
        return path;
    }
}

/// <summary>A clock whose wall time a test sets (simulated hours and days) while its timers run in real time.</summary>
internal sealed class SimClock : TimeProvider
{
    private long _ticks;

    public SimClock(DateTimeOffset? start = null) => Set(start);

    /// <summary>Sets the wall time; null follows the system clock.</summary>
    public void Set(DateTimeOffset? now) => Interlocked.Exchange(ref _ticks, now?.UtcTicks ?? 0);

    public override DateTimeOffset GetUtcNow()
    {
        long t = Interlocked.Read(ref _ticks);
        return t == 0 ? TimeProvider.System.GetUtcNow() : new DateTimeOffset(t, TimeSpan.Zero);
    }
}

/// <summary>A running ingest, <c>maebashi-edge ingest run</c>, as a child process; kill -9 and restart on the same --data.</summary>
internal sealed class IngestProcess : IDisposable
{
    private string _earlierLog = "";
    private ChildProcess? _process;

    public IngestProcess(string data, string operators, int mqttPort, int httpPort, MosquittoProcess? broker)
    {
        Data = data;
        Operators = operators;
        MqttPort = mqttPort;
        HttpPort = httpPort;
        Broker = broker;
    }

    public string Data { get; }
    public string Operators { get; }
    public int MqttPort { get; }
    public int HttpPort { get; }
    public MosquittoProcess? Broker { get; }

    /// <summary>What every run so far printed.</summary>
    public string Log => _earlierLog + _process?.Log;

    public bool Running => _process is { HasExited: false };

    public async Task StartAsync()
    {
        List<string> args = ["--registry", FaultRegistry.Path, "--data", Data, "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture), "--operators", Operators];
        if (Broker is null)
        {
            args.AddRange(["--mqtt-port", MqttPort.ToString(CultureInfo.InvariantCulture)]);
        }
        else
        {
            args.AddRange(["--broker", $"mqtt://127.0.0.1:{Broker.Port}", "--broker-user", "ingest", "--broker-pass-file", Broker.Files.IngestPasswordFile]);
        }

        if (_process is not null)
        {
            _earlierLog += _process.Log + "\n";
            _process.Dispose();
            _process = null;
        }

        _process = (await EdgeCli.StartIngestAsync(args)).Process;
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard() => _process?.KillHard();

    public void Dispose() => _process?.Dispose();
}

/// <summary>
/// Broker + ingest + the operators' HTTP API for one run: a temp directory, a Mosquitto when asked for,
/// the ingest on fixed ports (so a restart takes the same ones), an admin token from an operators file.
/// </summary>
internal sealed class FaultStack : IDisposable
{
    public const string AdminToken = "fault-suite-admin-token-0001";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private FaultStack(BrokerKind kind, string dir, MosquittoProcess? mosquitto, IngestProcess ingest)
    {
        Kind = kind;
        Directory = dir;
        Mosquitto = mosquitto;
        Ingest = ingest;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingest.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public BrokerKind Kind { get; }
    public string Directory { get; }
    public MosquittoProcess? Mosquitto { get; }
    public IngestProcess Ingest { get; }
    public HttpClient Http { get; }

    /// <summary>The port devices connect to: Mosquitto's, or the ingest's embedded broker.</summary>
    public int DevicePort => Mosquitto?.Port ?? Ingest.MqttPort;

    public string Diagnostics => $"--- ingest ---\n{Ingest.Log}\n--- mosquitto ---\n{Mosquitto?.Log}";

    public static async Task<FaultStack> StartAsync(BrokerKind kind, bool startIngest = true)
    {
        string dir = global::System.IO.Directory.CreateTempSubdirectory("maebashi-fault-").FullName;
        string ops = Path.Combine(dir, "operators.json");
        Maebashi.Edge.Terminal.Config.SecretFile.Write(ops, $$"""[{"name": "fault suite", "token": "{{AdminToken}}", "scope": "admin"}]""");
        MosquittoProcess? mosquitto = null;
        if (kind == BrokerKind.Mosquitto)
        {
            string mq = Path.Combine(dir, "mosquitto");
            global::System.IO.Directory.CreateDirectory(mq);
            mosquitto = MosquittoProcess.Start(FaultRegistry.Load(), mq, TimeSpan.FromSeconds(20));
        }

        var ingest = new IngestProcess(Path.Combine(dir, "data"), ops, LoopbackPorts.Free(), LoopbackPorts.Free(), mosquitto);
        var stack = new FaultStack(kind, dir, mosquitto, ingest);
        if (startIngest)
        {
            await stack.StartIngestAsync();
        }

        return stack;
    }

    public async Task StartIngestAsync()
    {
        await Ingest.StartAsync();
        await Until("the ingest answers /healthz", async () =>
        {
            try
            {
                return (await Http.GetAsync("/healthz")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });
    }

    public async Task<JsonNode> GetAsync(string path)
    {
        HttpResponseMessage r = await Http.GetAsync(path);
        string body = await r.Content.ReadAsStringAsync();
        // A failure says what the ingest logged (an answer 500 is logged with its exception).
        Assert.True(r.IsSuccessStatusCode, $"GET {path}: {(int)r.StatusCode} {body}\n--- ingest log, last lines ---\n{string.Join('\n', Ingest.Log.Split('\n').TakeLast(30))}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>What the ingest has applied from a device (its progress record), 0 if nothing.</summary>
    public async Task<long> EventsAppliedAsync(string device)
    {
        JsonNode devices = await GetAsync("/api/v1/devices");
        return devices.AsArray().First(d => d!["id"]!.GetValue<string>() == device)!["eventsApplied"]!.GetValue<long>();
    }

    public async Task<JsonArray> QuarantineAsync() => (await GetAsync("/api/v1/quarantine?limit=1000"))["items"]!.AsArray();

    /// <summary>
    /// The city's view as operators read it: every active card's wallet (value, points, points by source,
    /// debt flag, trips; the entries are left out because a late tap is booked as adjustment entries, so their
    /// list depends on arrival order while their sum — the wallet — does not), the check-ins of both clinics on
    /// the given days, and every event's participants.
    /// </summary>
    public async Task<string> SnapshotAsync(IEnumerable<DateOnly> clinicDays, bool withTimes = true)
    {
        var root = new JsonObject();
        var wallets = new JsonObject();
        foreach ((CardTech tech, string uid) in FaultRegistry.ActiveCards())
        {
            string tok = FaultRegistry.Token(tech, uid);
            JsonNode w = await GetAsync($"/api/v1/cards/{tok}/wallet");
            // The entries (and their page's count and cursor) record how the wallet got there, which a late or
            // resent tap legitimately adds to (adjustments); what must match the fault-free run is where it got.
            w.AsObject().Remove("entries");
            w.AsObject().Remove("entriesTotal");
            w.AsObject().Remove("entriesNext");
            wallets[$"{tech.ToWire()}:{uid}"] = w;
        }

        root["wallets"] = wallets;
        var checkins = new JsonObject();
        foreach (string clinic in new[] { "C01", "C02" })
        {
            foreach (DateOnly day in clinicDays.Distinct().Order())
            {
                checkins[$"{clinic}/{day:yyyy-MM-dd}"] = await GetAsync($"/api/v1/clinics/{clinic}/checkins?date={day:yyyy-MM-dd}");
            }
        }

        root["checkins"] = checkins;
        var participants = new JsonObject();
        foreach (string ev in new[] { FaultRegistry.EventId, "E-CLEANUP-1129", "E-WALK-1130" })
        {
            participants[ev] = await GetAsync($"/api/v1/events/{ev}/participants");
        }

        root["participants"] = participants;
        if (!withTimes)
        {
            StripTimes(root);
        }

        return root.ToJsonString(new global::System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Runs with the real clock differ in the times of day only: drop every date-time string.</summary>
    private static void StripTimes(JsonNode node)
    {
        if (node is JsonObject o)
        {
            foreach (string key in o.Select(kv => kv.Key).ToList())
            {
                JsonNode? v = o[key];
                if (v is JsonValue jv && jv.TryGetValue(out string? s) && s.Length >= 19 && s[4] == '-' && s[10] == 'T'
                    && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    o.Remove(key);
                }
                else if (v is not null)
                {
                    StripTimes(v);
                }
            }
        }
        else if (node is JsonArray a)
        {
            foreach (JsonNode? n in a)
            {
                if (n is not null)
                {
                    StripTimes(n);
                }
            }
        }
    }

    /// <summary>Polls cross-process state until it holds, with a short pause between polls and a deadline.</summary>
    public async Task Until(string what, Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? Timeout;
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                string devices;
                try
                {
                    devices = await Http.GetStringAsync("/api/v1/devices") + "\n" + string.Join('\n', (await Http.GetStringAsync("/metrics")).Split('\n').Where(l => l.StartsWith("maebashi_ingest_events_total", StringComparison.Ordinal) || l.StartsWith("maebashi_ingest_batches", StringComparison.Ordinal)));
                }
                catch (HttpRequestException e)
                {
                    devices = e.Message;
                }

                Assert.Fail($"timed out after {limit.TotalSeconds:0} s waiting until {what}\n--- devices ---\n{devices}\n{Diagnostics}");
            }

            await Task.Delay(25);
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        Ingest.Dispose();
        Mosquitto?.Dispose();
        try
        {
            global::System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
