using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Bench.Ingest;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

// Ingest benchmarks (docs/contract.md §10):
//  1. registry scale: 1,000,000 cards / 340,000 persons loaded by the ingest (time to ready, resident memory);
//  2. end to end over the embedded broker: device batches → verify → de-dup → resolve → rules → durable store → ack;
//  3. the console's pages on a month of taps (1,500,000 events; --quick 150,000) in the same store;
//  4. the store-only baseline: the same batches, one de-duplication record per event, one durable unit per batch.
bool quick = args.Contains("--quick");
int persons = quick ? 34_000 : 340_000;
int cards = quick ? 100_000 : 1_000_000;
int devices = 8;
int batchSize = 100;
int eventsTotal = quick ? 16_000 : 80_000;
int monthEvents = quick ? 150_000 : 1_500_000;

// Untimed warm-up batches per device, sent before the measured ones (and written to the baseline's store
// first too): the JIT's tiers settle and both paths start from a store holding the same data.
int warmBatches = quick ? 5 : 10;
string dir = Path.Combine(Path.GetTempPath(), "maebashi-bench-ingest-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(dir);
string registryPath = Path.Combine(dir, "registry.json");

Console.WriteLine($"Ingest benchmark{(quick ? " (--quick)" : "")}: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");
var sw = Stopwatch.StartNew();
RegistryGenerator.WriteBusFleet(registryPath, persons, cards, devices, clinic: true);
Console.WriteLine($"generated registry: {persons:N0} persons, {cards:N0} cards, {devices} buses, {new FileInfo(registryPath).Length / 1_000_000.0:F0} MB in {sw.Elapsed.TotalSeconds:F1} s");

// An admin who signs in to the console (phase 3).
const string ConsoleAdmin = "bench-admin";
string consolePassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
string operatorsPath = Path.Combine(dir, "operators.json");
File.WriteAllText(operatorsPath, new JsonArray(new JsonObject { ["name"] = ConsoleAdmin, ["scope"] = "admin", ["passwordHash"] = Maebashi.Edge.Ingest.Http.PasswordHash.Hash(consolePassword) }).ToJsonString());

// 1. Registry scale: the ingest starting on it.
GC.Collect();
sw.Restart();
IngestHost host = await IngestHost.StartAsync(
    new IngestOptions { RegistryPath = registryPath, DataDirectory = Path.Combine(dir, "e2e"), MqttPort = 0, HttpPort = 0, OperatorsPath = operatorsPath },
    NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
double startSeconds = sw.Elapsed.TotalSeconds;
using (Process self = Process.GetCurrentProcess())
{
    self.Refresh();
    Console.WriteLine($"registry load: ingest ready in {startSeconds:F2} s; resident {self.WorkingSet64 / 1_048_576.0:F0} MiB, peak {self.PeakWorkingSet64 / 1_048_576.0:F0} MiB");
}

// The batches every device sends: board/alight pairs of random cards, in the past, times rising per device.
CityRegistry registry = host.Pipeline.Registry;
var rnd = new Random(42);
int perDevice = eventsTotal / devices + warmBatches * batchSize;
DateTimeOffset start = DateTimeOffset.UtcNow.AddDays(-20);
var batches = new List<byte[]>[devices];
var rawEvents = new List<List<(ulong Seq, string Type, DateTimeOffset At, string Tok)>>[devices];
for (int d = 0; d < devices; d++)
{
    batches[d] = [];
    rawEvents[d] = [];
    var events = new List<JsonObject>(perDevice);
    var raw = new List<(ulong, string, DateTimeOffset, string)>(perDevice);
    DateTimeOffset at = start.AddMinutes(d);
    for (int k = 0; k < perDevice / 2; k++)
    {
        int card;
        do
        {
            card = rnd.Next(cards);
        }
        while (card % 997 == 0);

        string tok = CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(card));
        int boardStop = 1 + rnd.Next(3);
        events.Add(Tap((ulong)(2 * k + 1), "board", at, tok, $"S{boardStop:D2}", d));
        events.Add(Tap((ulong)(2 * k + 2), "alight", at.AddMinutes(12), tok, $"S{boardStop + 1 + rnd.Next(4):D2}", d));
        raw.Add(((ulong)(2 * k + 1), "board", at, tok));
        raw.Add(((ulong)(2 * k + 2), "alight", at.AddMinutes(12), tok));
        at = at.AddSeconds(20);
    }

    foreach (JsonObject[] chunk in events.Chunk(batchSize))
    {
        var arr = new JsonArray();
        foreach (JsonObject e in chunk)
        {
            arr.Add(e);
        }

        batches[d].Add(Encoding.UTF8.GetBytes(new JsonObject { ["device"] = RegistryGenerator.DeviceId(d), ["events"] = arr }.ToJsonString()));
    }

    rawEvents[d] = [.. raw.Chunk(batchSize).Select(c => c.ToList())];
}

var warmup = new List<byte[]>[devices];
var warmRaw = new List<List<(ulong Seq, string Type, DateTimeOffset At, string Tok)>>[devices];
for (int d = 0; d < devices; d++)
{
    warmup[d] = batches[d][..warmBatches];
    batches[d] = batches[d][warmBatches..];
    warmRaw[d] = rawEvents[d][..warmBatches];
    rawEvents[d] = rawEvents[d][warmBatches..];
}

int eventCount = batches.Sum(b => b.Count) * batchSize;

// 2. End to end through the embedded broker.
var clients = new List<IMqttClient>();
var done = new TaskCompletionSource[devices];
var warmed = new TaskCompletionSource[devices];
for (int d = 0; d < devices; d++)
{
    int dev = d;
    done[d] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    warmed[d] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    ulong warmLast = (ulong)(warmBatches * batchSize);
    ulong last = (ulong)((warmBatches + batches[d].Count) * batchSize);
    IMqttClient c = new MqttClientFactory().CreateMqttClient();
    c.ApplicationMessageReceivedAsync += e =>
    {
        Ack ack = ContractJson.ParseAck(e.ApplicationMessage.Payload.ToArray());
        if (ack.UpTo >= warmLast)
        {
            warmed[dev].TrySetResult();
        }

        if (ack.UpTo >= last)
        {
            done[dev].TrySetResult();
        }

        return Task.CompletedTask;
    };
    byte[] key = registry.FindDevice(RegistryGenerator.DeviceId(d))!.Key;
    await c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", host.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
        .WithClientId(RegistryGenerator.DeviceId(d)).WithCredentials(RegistryGenerator.DeviceId(d), DeviceAuth.ComputeMqttPassword(key)).Build());
    await c.SubscribeAsync(Topics.Ack(RegistryGenerator.DeviceId(d)), MqttQualityOfServiceLevel.AtLeastOnce);
    clients.Add(c);
}

await PublishAll(warmup);
await Task.WhenAll(warmed.Select(t => t.Task)).WaitAsync(TimeSpan.FromMinutes(10));
long exceptions = 0;
AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
int[] gc0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
TimeSpan gcPause0 = GC.GetTotalPauseDuration();
long allocated0 = GC.GetTotalAllocatedBytes();
long applied0 = host.Pipeline.Metrics.Applied;
sw.Restart();
double cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
await PublishAll(batches);
await Task.WhenAll(done.Select(t => t.Task)).WaitAsync(TimeSpan.FromMinutes(10));
double e2eSeconds = sw.Elapsed.TotalSeconds;

Task PublishAll(List<byte[]>[] perDevice) => Task.WhenAll(Enumerable.Range(0, devices).Select(async d =>
{
    byte[] key = registry.FindDevice(RegistryGenerator.DeviceId(d))!.Key;
    foreach (byte[] payload in perDevice[d])
    {
        await clients[d].PublishAsync(DeviceBatchMessage.Build(RegistryGenerator.DeviceId(d), key, payload));
    }
}));
double e2eCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu0;
long applied = host.Pipeline.Metrics.Applied - applied0;
double e2eRate = eventCount / e2eSeconds;
Console.WriteLine($"end to end: {eventCount:N0} events ({applied:N0} applied) in {batches.Sum(b => b.Count)} batches of {batchSize} from {devices} devices after {warmBatches * devices} warm-up batches: {e2eSeconds:F2} s, {e2eRate:N0} events/s (CPU {e2eCpu:F1} s, {e2eCpu * 1e6 / eventCount:F0} µs/event, the devices' MQTT clients included)");
Console.WriteLine($"first-chance exceptions during the run: {Interlocked.Read(ref exceptions):N0}; collections during the run gen0/1/2: {GC.CollectionCount(0) - gc0[0]}/{GC.CollectionCount(1) - gc0[1]}/{GC.CollectionCount(2) - gc0[2]}, paused {(GC.GetTotalPauseDuration() - gcPause0).TotalSeconds:F2} s, allocated {(GC.GetTotalAllocatedBytes() - allocated0) / (double)eventCount:N0} bytes/event");
using (Process self = Process.GetCurrentProcess())
{
    self.Refresh();
    Console.WriteLine($"resident after the run: {self.WorkingSet64 / 1_048_576.0:F0} MiB, peak {self.PeakWorkingSet64 / 1_048_576.0:F0} MiB");
}

// The person snapshot the store writes once per at least max(100,000, persons) person states logged: its
// cost per person, i.e. an upper bound of what it adds per person state to the end-to-end figure above.
sw.Restart();
int snapshotPersons = host.Pipeline.Store.WriteSnapshot();
double snapshotSeconds = sw.Elapsed.TotalSeconds;
Console.WriteLine($"person snapshot: {snapshotPersons:N0} persons in {snapshotSeconds:F2} s, {snapshotSeconds * 1e6 / snapshotPersons:F1} µs per person (written once per ≥ max(100,000, persons) person states logged)");

// A snapshot of P persons follows at least P logged person states, so it adds at most its cost per person to
// each state; here every batch holds a card's board and alight, one person state per two events.
double snapshotShare = snapshotSeconds / snapshotPersons * 0.5;
double e2eWithSnapshot = eventCount / (e2eSeconds + eventCount * snapshotShare);
Console.WriteLine($"end to end with the snapshot's share (≤ {snapshotShare * 1e6:F1} µs per event): {e2eWithSnapshot:N0} events/s");

// 3. The console on a month of taps: the devices send board/alight pairs of random cards over the last 30 days (seqs
//    after the ones above), then an admin asks for each page.
sw.Restart();
ulong[] nextSeq = [.. Enumerable.Range(0, devices).Select(d => (ulong)((warmBatches + batches[d].Count) * batchSize) + 1)];
var filled = new TaskCompletionSource[devices];
ulong[] fillLast = new ulong[devices];
for (int d = 0; d < devices; d++)
{
    int dev = d;
    filled[d] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    fillLast[d] = nextSeq[d] + (ulong)(monthEvents / devices) - 1;
    clients[d].ApplicationMessageReceivedAsync += e =>
    {
        if (ContractJson.ParseAck(e.ApplicationMessage.Payload.ToArray()).UpTo >= fillLast[dev])
        {
            filled[dev].TrySetResult();
        }

        return Task.CompletedTask;
    };
}

DateTimeOffset monthStart = DateTimeOffset.UtcNow.AddDays(-30);
await Task.WhenAll(Enumerable.Range(0, devices).Select(async d =>
{
    var dayRnd = new Random(1000 + d);
    byte[] key = registry.FindDevice(RegistryGenerator.DeviceId(d))!.Key;
    DateTimeOffset at = monthStart.AddMinutes(d);
    double stepSeconds = 30 * 86_400.0 / (monthEvents / devices / 2);
    while (nextSeq[d] <= fillLast[d])
    {
        var arr = new JsonArray();
        for (int k = 0; k < batchSize / 2 && nextSeq[d] <= fillLast[d]; k++)
        {
            string tok = CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(1 + dayRnd.Next(cards - 1)));
            int boardStop = 1 + dayRnd.Next(3);
            arr.Add(Tap(nextSeq[d]++, "board", at, tok, $"S{boardStop:D2}", d));
            arr.Add(Tap(nextSeq[d]++, "alight", at.AddMinutes(12), tok, $"S{boardStop + 1 + dayRnd.Next(4):D2}", d));
            at = at.AddSeconds(stepSeconds);
        }

        byte[] payload = Encoding.UTF8.GetBytes(new JsonObject { ["device"] = RegistryGenerator.DeviceId(d), ["events"] = arr }.ToJsonString());
        await clients[d].PublishAsync(DeviceBatchMessage.Build(RegistryGenerator.DeviceId(d), key, payload));
    }
}));
await Task.WhenAll(filled.Select(t => t.Task)).WaitAsync(TimeSpan.FromMinutes(30));
Console.WriteLine($"console: a month of taps, {monthEvents:N0} more events, stored in {sw.Elapsed.TotalSeconds:F0} s");

string someCard = CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(1));
string midMonth = Maebashi.Edge.Ingest.Rules.WalletRules.ServiceDay(monthStart.AddDays(15)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
string[] pages =
[
    "/console/", "/console/denylist", "/console/audit", "/console/quarantine", "/console/events", "/console/operators",
    "/console/notices", "/console/cards?q=" + someCard, "/console/cards?q=" + registry.SectorIdFor(registry.FindCard(someCard)!.Pid, SectorId.Transport),
    "/console/transport?day=" + midMonth,
];
Dictionary<string, List<double>> consoleSamples = await ConsolePagesBench.MeasureAsync(host.HttpPort, ConsoleAdmin, consolePassword, pages, rounds: quick ? 20 : 40, warmups: 3);
List<double> allPages = [.. consoleSamples.Values.SelectMany(v => v)];
double consoleP95 = ConsolePagesBench.Percentile(allPages, 0.95);
(string slowestPage, double slowestP95) = consoleSamples.Select(kv => (kv.Key, ConsolePagesBench.Percentile(kv.Value, 0.95))).MaxBy(x => x.Item2);
foreach ((string page, List<double> v) in consoleSamples)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {page.Split('?')[0]}: p50 {ConsolePagesBench.Percentile(v, 0.5):F1} ms, p95 {ConsolePagesBench.Percentile(v, 0.95):F1} ms"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console pages: p95 {consoleP95:F1} ms over {allPages.Count} asks of {pages.Length} pages (loopback round trip, an upper bound of server time); slowest {slowestPage.Split('?')[0]} p95 {slowestP95:F1} ms"));

// A day's transport report is computed from its trips once and kept until the day changes: the first view of a day reads
// all its riders' trips. Shown apart: five days not viewed before, once each.
string[] firstViews = [.. Enumerable.Range(1, 5).Select(k => "/console/transport?day=" + Maebashi.Edge.Ingest.Rules.WalletRules.ServiceDay(monthStart.AddDays(15 - k)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))];
List<double> firstViewSamples = [.. (await ConsolePagesBench.MeasureAsync(host.HttpPort, ConsoleAdmin, consolePassword, firstViews, rounds: 1, warmups: 0)).Values.SelectMany(v => v)];
double firstViewMax = firstViewSamples.Max();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"console transport page, the first view of a day (its trips read and aggregated): p50 {ConsolePagesBench.Percentile(firstViewSamples, 0.5):F1} ms, max {firstViewMax:F1} ms over {firstViewSamples.Count} days"));

// The clinic's live reception queue on the same store: a check-in published → listed in the queue's JSON; the page
// polls that JSON every ClinicQueue.PollMilliseconds, so a clerk sees it at most one interval later.
List<double> queueSamples = await ClinicQueueBench.MeasureAsync(host.MqttPort, host.HttpPort, registry.FindDevice(RegistryGenerator.ClinicDeviceId)!.Key,
    RegistryGenerator.RegionKey, ConsoleAdmin, consolePassword, samples: quick ? 20 : 50);
double queueP95 = ConsolePagesBench.Percentile(queueSamples, 0.95);
double queueSeen = queueSamples.Max() + Maebashi.Edge.Ingest.Web.ClinicQueue.PollMilliseconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"clinic queue: a check-in listed {ConsolePagesBench.Percentile(queueSamples, 0.5):F0} ms (p50), {queueP95:F0} ms (p95), {queueSamples.Max():F0} ms (max) after its publish over {queueSamples.Count} check-ins; on the open page within {queueSeen:F0} ms (the max plus one {Maebashi.Edge.Ingest.Web.ClinicQueue.PollMilliseconds} ms poll interval)"));

foreach (IMqttClient c in clients)
{
    await c.DisconnectAsync();
    c.Dispose();
}

await host.DisposeAsync();

// 3. Store-only baseline: one durable unit per batch holding one de-duplication record per event — the tap
//    as one LiteDB document keyed by (device, seq), the unique primary key being the de-duplication check —
//    on the same durable LiteDB files as the store (fsync of the log per unit, checkpoint at 16 MiB).
double baseRate;
using (var baseline = new DurableLiteDatabase(Path.Combine(dir, "baseline", "baseline.db")))
{
    StoreOnly(baseline, warmRaw);
    sw.Restart();
    double baseCpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    StoreOnly(baseline, rawEvents);
    double baseSeconds = sw.Elapsed.TotalSeconds;
    double baseCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - baseCpu0;
    Console.WriteLine($"store-only CPU {baseCpu:F1} s, {baseCpu * 1e6 / eventCount:F0} µs/event");
    baseRate = eventCount / baseSeconds;
    Console.WriteLine($"store-only baseline: {eventCount:N0} de-duplication records in the same batches: {baseSeconds:F2} s, {baseRate:N0} events/s");
    Console.WriteLine($"ratio end to end / store-only: {e2eRate / baseRate:F2}");
    Console.WriteLine();
    Console.WriteLine($"| {DateTime.UtcNow:yyyy-MM-dd} | {(quick ? "quick" : "full")} | {cards:N0} cards / {persons:N0} persons: ready in {startSeconds:F1} s | {eventCount:N0} | {e2eRate:N0} | {baseRate:N0} | {e2eRate / baseRate:F2} |");
}

Directory.Delete(dir, recursive: true);

// Last line: the figures as JSON, for `maebashi-edge bench`.
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"ingest_registry_cards\":{cards},\"ingest_registry_persons\":{persons},\"ingest_ready_s\":{startSeconds:F2},\"ingest_events\":{eventCount},\"ingest_events_per_s\":{e2eRate:F0},\"store_only_events_per_s\":{baseRate:F0},\"ingest_vs_store_ratio\":{e2eRate / baseRate:F3},\"ingest_snapshot_us_per_person\":{snapshotSeconds * 1e6 / snapshotPersons:F1},\"ingest_events_per_s_with_snapshot_share\":{e2eWithSnapshot:F0},\"console_month_events\":{monthEvents},\"console_page_p95_ms\":{consoleP95:F1},\"console_slowest_page_p95_ms\":{slowestP95:F1},\"console_transport_first_view_max_ms\":{firstViewMax:F1},\"clinic_checkin_listed_p95_ms\":{queueP95:F0},\"clinic_checkin_on_page_ms\":{queueSeen:F0}}}"));
return 0;

void StoreOnly(DurableLiteDatabase baseline, List<List<(ulong Seq, string Type, DateTimeOffset At, string Tok)>>[] raw)
{
    LiteDB.ILiteCollection<LiteDB.BsonDocument> records = baseline.Db.GetCollection("dedup");
    for (int i = 0; i < raw[0].Count; i++)
    {
        for (int d = 0; d < devices; d++)
        {
            string device = RegistryGenerator.DeviceId(d);
            baseline.Db.BeginTrans();
            foreach ((ulong seq, string type, DateTimeOffset at, string tok) in raw[d][i])
            {
                var ev = new TapEvent { Seq = seq, Type = type, At = at, Card = new CardRef { Tok = tok, Tech = "iso14443a" }, Ctx = new TapContext { Route = "R01", Vehicle = $"V{d:D4}", Stop = "S01" } };
                records.Insert(new LiteDB.BsonDocument
                {
                    ["_id"] = device + "/" + seq.ToString("D20", CultureInfo.InvariantCulture),
                    ["t"] = type,
                    ["a"] = at.UtcTicks,
                    ["r"] = DateTimeOffset.UtcNow.UtcTicks,
                    ["e"] = JsonSerializer.SerializeToUtf8Bytes(ev, ContractJsonContext.Wire.TapEvent),
                });
            }

            baseline.Db.Commit();
            baseline.MakeDurable();
        }
    }
}

static JsonObject Tap(ulong seq, string type, DateTimeOffset at, string tok, string stop, int device) => BusTapJson.Tap(seq, type, at, tok, $"V{device:D4}", stop);
