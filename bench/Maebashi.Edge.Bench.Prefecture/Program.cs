using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Store.Postgres;
using Maebashi.Edge.TestSupport;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Npgsql;

// The registry at prefecture scale (issue 14 item 6; docs/benchmarks.md, "The registry at prefecture scale"):
//  1. a registry export of 2,000,000 persons and 6,000,000 cards, generated once and kept under the cache directory;
//  2. `ingest registry import` of it into a fresh PostgreSQL database (Debian's, started here), timed as a technician runs it;
//  3. a worker (`ingest run --store postgresql://…`, no --registry) timed from its start to its ready line, its resident
//     memory then and after 10,000 taps of cards from the whole registry through its embedded broker;
//  4. a card token's lookup in the packed registry (the worker's) against a dictionary of every token (the file's layout).
// Usage: Maebashi.Edge.Bench.Prefecture --cli PATH/maebashi-edge.dll [--quick] [--persons N] [--cards N] [--cache DIR]
// (--quick: a tenth of the population). Human lines first; the last line is one JSON object.
CultureInfo inv = CultureInfo.InvariantCulture;
string cli = Option("--cli") ?? throw new ArgumentException("--cli PATH/maebashi-edge.dll is required");
bool quick = args.Contains("--quick");
int persons = Option("--persons") is { } p ? int.Parse(p, inv) : quick ? 200_000 : 2_000_000;
int cards = Option("--cards") is { } c ? int.Parse(c, inv) : persons * 3;
const int Buses = 8;
const int TapBatches = 100;
const int TapsPerBatch = 100;

string cacheRoot = Option("--cache") ?? Path.Combine(
    Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
    "maebashi-edge");
Directory.CreateDirectory(cacheRoot);
string registryPath = Path.Combine(cacheRoot, $"prefecture-registry-{persons}-{cards}-v1.json");
var figures = new JsonObject { ["prefecture_persons"] = persons, ["prefecture_cards"] = cards };
Console.WriteLine($"Prefecture registry benchmark{(quick ? " (--quick)" : "")}: {persons:N0} persons, {cards:N0} cards; {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");

// 1. The export.
if (!File.Exists(registryPath))
{
    var gen = Stopwatch.StartNew();
    RegistryGenerator.WriteBusFleet(registryPath + ".tmp", persons, cards, Buses);
    File.Move(registryPath + ".tmp", registryPath, overwrite: true);
    Console.WriteLine($"generated {registryPath} ({new FileInfo(registryPath).Length / 1e6:F0} MB) in {gen.Elapsed.TotalSeconds:F0} s");
}
else
{
    Console.WriteLine($"reusing {registryPath} ({new FileInfo(registryPath).Length / 1e6:F0} MB)");
}

string work = Path.Combine(Path.GetTempPath(), "maebashi-bench-prefecture-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
ChildProcess? worker = null;
try
{
    await using PostgresServer postgres = await PostgresServer.StartAsync();
    PostgresDatabase db = await postgres.CreateDatabaseAsync("prefecture");

    // 2. The import, as a technician runs it.
    var import = Stopwatch.StartNew();
    ProcessResult imported = await ProcessRunner.RunAsync(ChildProcess.DotnetHost, [cli, "ingest", "registry", "import", "--store", db.Uri, "--registry", registryPath], TimeSpan.FromMinutes(30));
    if (imported.Exit != 0)
    {
        throw new InvalidOperationException($"registry import failed: {imported.Err}");
    }

    figures["prefecture_import_s"] = Math.Round(import.Elapsed.TotalSeconds, 1);
    Console.WriteLine($"imported in {import.Elapsed.TotalSeconds:F1} s: {imported.Out.Trim()}");

    // 3. A worker on it, without the file.
    var start = Stopwatch.StartNew();
    worker = ChildProcess.StartDotnet("worker", cli, ["ingest", "run", "--store", db.Uri, "--data", Path.Combine(work, "worker"), "--mqtt-port", "0", "--http-port", "0"]);
    string ready = await worker.WaitForLineAsync(l => l.StartsWith("mqtt-port=", StringComparison.Ordinal), TimeSpan.FromMinutes(5));
    double readyS = start.Elapsed.TotalSeconds;
    double rssReady = ProcStatus.Of(worker.Pid, "VmRSS") ?? double.NaN;
    figures["prefecture_worker_ready_s"] = Math.Round(readyS, 2);
    figures["prefecture_worker_rss_mib"] = Math.Round(rssReady);
    Console.WriteLine($"worker ready in {readyS:F1} s, resident {rssReady:F0} MiB");
    foreach (string line in worker.Log.Split('\n').Where(l => l.Contains("Registry", StringComparison.Ordinal)))
    {
        Console.WriteLine($"  worker: {line}");
    }


    int mqttPort = int.Parse(ready.Split(' ')[0]["mqtt-port=".Length..], inv);
    CityRegistry file = RegistryHead(registryPath);
    double rate = await TapsAsync(mqttPort, file, cards);
    double rssTaps = ProcStatus.Of(worker.Pid, "VmRSS") ?? double.NaN;
    double peak = ProcStatus.Of(worker.Pid, "VmHWM") ?? double.NaN;
    figures["prefecture_worker_events_per_s"] = Math.Round(rate);
    figures["prefecture_worker_rss_after_taps_mib"] = Math.Round(rssTaps);
    figures["prefecture_worker_peak_rss_mib"] = Math.Round(peak);
    Console.WriteLine($"{TapBatches * TapsPerBatch:N0} taps of cards across the registry at {rate:N0} events/s; resident then {rssTaps:F0} MiB, peak {peak:F0} MiB");
    await worker.StopAsync(TimeSpan.FromSeconds(20));

    // 4. Lookups: the packed registry as the worker loads it, against a dictionary of every token.
    using NpgsqlDataSource source = NpgsqlDataSource.Create(db.ConnectionString);
    var load = Stopwatch.StartNew();
    CityRegistry packed = new PostgresRegistry(source).Load();
    Console.WriteLine($"packed registry read from PostgreSQL in this process in {load.Elapsed.TotalSeconds:F1} s");
    var rnd = new Random(6);
    string[] probes = [.. Enumerable.Range(0, 1_000_000).Select(_ => CardToken.Compute(packed.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(rnd.Next(cards))))];
    double packedNs = LookupNs(probes, t => packed.FindCard(t)?.Pid);
    var dictionary = new Dictionary<string, string>(cards, StringComparer.Ordinal);
    foreach (CardEntry e in packed.Cards)
    {
        dictionary[e.Token] = e.Pid;
    }

    double dictionaryNs = LookupNs(probes, t => dictionary.GetValueOrDefault(t));
    figures["prefecture_token_lookup_ns"] = Math.Round(packedNs);
    figures["prefecture_token_lookup_dictionary_ns"] = Math.Round(dictionaryNs);
    Console.WriteLine($"card token → person: packed {packedNs:F0} ns, dictionary {dictionaryNs:F0} ns (1,000,000 random cards, the person's pid made on each packed lookup)");
}
finally
{
    worker?.Dispose();
    Directory.Delete(work, recursive: true);
}

bool met = (double)figures["prefecture_worker_ready_s"]! <= 30 && (double)figures["prefecture_worker_peak_rss_mib"]! <= 1024;
Console.WriteLine($"budget: a worker ready in ≤ 30 s and ≤ 1 GB resident — {(met ? "met" : "NOT met")}");
Console.WriteLine(figures.ToJsonString());
return 0;

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// The export's keys and devices without its persons and cards (the harness need not hold 6,000,000 of them).
static CityRegistry RegistryHead(string path)
{
    JsonObject doc = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    doc.Remove("persons");
    doc.Remove("cards");
    using var stream = new MemoryStream(Encoding.UTF8.GetBytes(doc.ToJsonString()));
    return RegistryLoader.Load(stream, path);
}

// Board/alight pairs of random cards on one bus, 100 batches of 100 events, each batch after the previous one's ack.
async Task<double> TapsAsync(int port, CityRegistry registry, int cardCount)
{
    string bus = RegistryGenerator.DeviceId(0);
    byte[] key = registry.FindDevice(bus)!.Key;
    using IMqttClient client = new MqttClientFactory().CreateMqttClient();
    var acks = System.Threading.Channels.Channel.CreateUnbounded<Ack>();
    client.ApplicationMessageReceivedAsync += e =>
    {
        acks.Writer.TryWrite(ContractJson.ParseAck(e.ApplicationMessage.Payload.ToArray()));
        return Task.CompletedTask;
    };
    await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
        .WithClientId(bus).WithCredentials(bus, DeviceAuth.ComputeMqttPassword(key)).Build());
    await client.SubscribeAsync(Topics.Ack(bus), MqttQualityOfServiceLevel.AtLeastOnce);
    var rnd = new Random(14);
    DateTimeOffset at = DateTimeOffset.UtcNow.AddHours(-6);
    ulong seq = 0;
    var clock = Stopwatch.StartNew();
    for (int b = 0; b < TapBatches; b++)
    {
        var events = new JsonArray();
        for (int k = 0; k < TapsPerBatch / 2; k++)
        {
            int card = rnd.Next(cardCount);
            string tok = CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(card));
            int board = 1 + rnd.Next(3);
            events.Add(BusTapJson.Tap(++seq, "board", at, tok, "V0000", $"S{board:D2}"));
            events.Add(BusTapJson.Tap(++seq, "alight", at.AddMinutes(12), tok, "V0000", $"S{board + 1 + rnd.Next(4):D2}"));
            at = at.AddSeconds(2);
        }

        byte[] payload = Encoding.UTF8.GetBytes(new JsonObject { ["device"] = bus, ["events"] = events }.ToJsonString());
        await client.PublishAsync(DeviceBatchMessage.Build(bus, key, payload));
        await acks.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(2));
    }

    return TapBatches * TapsPerBatch / clock.Elapsed.TotalSeconds;
}

static double LookupNs(string[] probes, Func<string, string?> find)
{
    int found = 0;
    foreach (string t in probes.AsSpan(0, 10_000))
    {
        found += find(t) is null ? 0 : 1;
    }

    var sw = Stopwatch.StartNew();
    foreach (string t in probes)
    {
        found += find(t) is null ? 0 : 1;
    }

    sw.Stop();
    if (found != probes.Length + 10_000)
    {
        throw new InvalidOperationException($"only {found} of {probes.Length + 10_000} cards found");
    }

    return sw.Elapsed.TotalNanoseconds / probes.Length;
}

// A line of /proc/PID/status (VmRSS, VmHWM) in MiB.
