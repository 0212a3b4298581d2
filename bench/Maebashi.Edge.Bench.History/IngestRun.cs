using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.Bench.History;

/// <summary>
/// The ingest end to end over its embedded broker, as bench/Maebashi.Edge.Bench.Ingest drives it, on a copy of a store
/// (or an empty one): signed batches of 100 board/alight pairs of random cards (half of them commuters') from 8 buses,
/// warm-up batches first, then the measured ones, each phase waiting on the acks; first taps of the current service
/// day, then a backlog of taps of 3 days ago. Seqs continue after each bus's upTo in the store. The last stdout line
/// is the figures as JSON.
/// </summary>
internal static class IngestRun
{
    private const int Devices = 8;
    private const int BatchSize = 100;

    public static async Task<int> RunAsync(string phase, string registryPath, string? store, int persons, bool quick)
    {
        int eventsTotal = quick ? 16_000 : 80_000;
        int warmBatches = quick ? 5 : 10;
        string work = Path.Combine(Path.GetTempPath(), "maebashi-bench-history-" + Guid.NewGuid().ToString("N")[..8]);
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        try
        {
            double copySeconds = 0;
            if (store is not null)
            {
                // Measured on a copy: the cached store stays as generated, so runs are comparable.
                var copy = Stopwatch.StartNew();
                long bytes = 0;
                foreach (string f in Directory.EnumerateFiles(store))
                {
                    File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
                    bytes += new FileInfo(f).Length;
                }

                copySeconds = copy.Elapsed.TotalSeconds;
                Console.WriteLine($"copied the store ({bytes / 1_048_576.0:N0} MiB) in {copySeconds:F1} s");
            }

            GC.Collect();
            var sw = Stopwatch.StartNew();
            IngestHost host = await IngestHost.StartAsync(
                new IngestOptions { RegistryPath = registryPath, DataDirectory = data, MqttPort = 0, HttpPort = 0 },
                NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
            double ready = sw.Elapsed.TotalSeconds;
            double rssOpen = Rss();
            (double heapOpen, double rssOpenCollected) = Collected();
            Console.WriteLine($"ingest ready in {ready:F2} s; resident {rssOpen:F0} MiB ({rssOpenCollected:F0} MiB after a full collection, managed heap {heapOpen:F0} MiB live)");

            CityRegistry registry = host.Pipeline.Registry;
            int cards = (int)((long)persons * 1_000_000 / 340_000); // as the registry was generated (Program.cs)
            var rnd = new Random(42);
            string[] devices = [.. Enumerable.Range(0, Devices).Select(RegistryGenerator.DeviceId)];
            ulong[] next = [.. devices.Select(d => (host.Pipeline.Store.Devices().FirstOrDefault(p => p.Device == d)?.UpTo ?? 0) + 1)];
            Console.WriteLine($"seqs continue after {string.Join(", ", devices.Select((d, i) => $"{d} {next[i] - 1:N0}"))}");

            ulong[] target = new ulong[Devices];
            var acked = new TaskCompletionSource[Devices];
            var clients = new List<IMqttClient>();
            for (int d = 0; d < Devices; d++)
            {
                int dev = d;
                acked[d] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                IMqttClient c = new MqttClientFactory().CreateMqttClient();
                c.ApplicationMessageReceivedAsync += e =>
                {
                    Ack ack = ContractJson.ParseAck(e.ApplicationMessage.Payload.ToArray());
                    if (ack.UpTo >= Volatile.Read(ref target[dev]))
                    {
                        Volatile.Read(ref acked[dev]).TrySetResult();
                    }

                    return Task.CompletedTask;
                };
                byte[] key = registry.FindDevice(devices[d])!.Key;
                await c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", host.MqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
                    .WithClientId(devices[d]).WithCredentials(devices[d], DeviceAuth.ComputeMqttPassword(key)).Build());
                await c.SubscribeAsync(Topics.Ack(devices[d]), MqttQualityOfServiceLevel.AtLeastOnce);
                clients.Add(c);
            }

            // Today: the pairs in the last hours before now (within the current service day when it is old enough).
            DateTimeOffset now = DateTimeOffset.UtcNow;
            DateTimeOffset dayStart = WalletRules.DayStart(WalletRules.ServiceDay(now));
            DateTimeOffset todayEnd = now.AddMinutes(-15);
            DateTimeOffset todayStart = dayStart.AddMinutes(1) > now.AddHours(-3) ? dayStart.AddMinutes(1) : now.AddHours(-3);
            if (todayEnd - todayStart < TimeSpan.FromMinutes(10))
            {
                todayStart = todayEnd.AddMinutes(-10);
                Console.WriteLine("the service day started less than 25 minutes ago: some of 'today's' taps fall on yesterday");
            }

            int measuredPairs = eventsTotal / Devices / 2;
            int warmPairs = warmBatches * BatchSize / 2;
            List<byte[]>[] todayBatches = Batches(todayStart, todayEnd, warmPairs + measuredPairs);
            double todayRate = await PublishAsync("today", [.. todayBatches.Select(b => b[..warmBatches])], [.. todayBatches.Select(b => b[warmBatches..])]);

            // A backlog of 3 days ago: late taps, each person re-evaluated from that day's checkpoint.
            DateOnly backlogDay = WalletRules.ServiceDay(now).AddDays(-3);
            List<byte[]>[] backlogBatches = Batches(CityYear.At(backlogDay, 7), CityYear.At(backlogDay, 20), measuredPairs);
            double backlogRate = await PublishAsync($"backlog of {backlogDay:yyyy-MM-dd}", null, backlogBatches);

            double rssAfter = Rss();
            (double heapAfter, double rssAfterCollected) = Collected();
            Console.WriteLine($"resident after the runs: {rssAfter:F0} MiB, peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576.0:F0} MiB ({rssAfterCollected:F0} MiB after a full collection, managed heap {heapAfter:F0} MiB live)");

            // The person snapshot, which the ingest writes each time as many person states were logged as there are
            // persons (a day or two of a city's taps): what it leaves resident is the ingest's too.
            var snap = Stopwatch.StartNew();
            int snapshotPersons = host.Pipeline.Store.WriteSnapshot();
            double snapshotSeconds = snap.Elapsed.TotalSeconds;
            double rssSnapshot = Rss();
            double peak = Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576.0;
            Console.WriteLine($"person snapshot of {snapshotPersons:N0} persons in {snapshotSeconds:F1} s; resident after it {rssSnapshot:F0} MiB, peak {peak:F0} MiB");
            foreach (IMqttClient c in clients)
            {
                await c.DisconnectAsync();
                c.Dispose();
            }

            await host.DisposeAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"copy_s\":{copySeconds:F1},\"ready_s\":{ready:F2},\"rss_open_mib\":{rssOpen:F0},\"rss_mib\":{rssAfter:F0},\"heap_open_mib\":{heapOpen:F0},\"heap_mib\":{heapAfter:F0},\"today_events_per_s\":{todayRate:F0},\"backlog_events_per_s\":{backlogRate:F0},\"snapshot_s\":{snapshotSeconds:F1},\"rss_snapshot_mib\":{rssSnapshot:F0},\"rss_peak_mib\":{peak:F0}}}"));
            return 0;

            // Board/alight pairs spread evenly from..to on each bus, each pair 12 minutes apart, in batches.
            List<byte[]>[] Batches(DateTimeOffset from, DateTimeOffset to, int pairs)
            {
                var result = new List<byte[]>[Devices];
                double step = (to - from).TotalSeconds / pairs;
                for (int d = 0; d < Devices; d++)
                {
                    result[d] = [];
                    var arr = new JsonArray();
                    for (int k = 0; k < pairs; k++)
                    {
                        DateTimeOffset at = from.AddSeconds(k * step + d);
                        string tok = CityYear.TokenOf(registry, PickCard());
                        int boardStop = 1 + rnd.Next(3);
                        arr.Add(BusTapJson.Tap(next[d]++, EventTypes.Board, at, tok, $"V{d:D4}", $"S{boardStop:D2}"));
                        arr.Add(BusTapJson.Tap(next[d]++, EventTypes.Alight, at.AddMinutes(12), tok, $"V{d:D4}", $"S{boardStop + 1 + rnd.Next(4):D2}"));
                        if (arr.Count == BatchSize || k == pairs - 1)
                        {
                            result[d].Add(Encoding.UTF8.GetBytes(new JsonObject { ["device"] = devices[d], ["events"] = arr }.ToJsonString()));
                            arr = [];
                        }
                    }
                }

                return result;
            }

            // Half the pairs are a commuter's, half any card's (none reported lost).
            int PickCard()
            {
                if (rnd.Next(2) == 0 && persons > CityYear.CommuterEvery)
                {
                    return CityYear.CardOf(CityYear.CommuterEvery * rnd.Next(persons / CityYear.CommuterEvery) + 1, persons);
                }

                int card;
                do
                {
                    card = rnd.Next(cards);
                }
                while (card % RegistryGenerator.LostCardEvery == 0);
                return card;
            }

            async Task<double> PublishAsync(string what, List<byte[]>[]? warm, List<byte[]>[] measured)
            {
                if (warm is not null)
                {
                    await SendAndWait(warm);
                }

                int events = measured.Sum(b => b.Count) * BatchSize;
                long applied0 = host.Pipeline.Metrics.Applied;
                double cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
                var clock = Stopwatch.StartNew();
                await SendAndWait(measured);
                double seconds = clock.Elapsed.TotalSeconds;
                double cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu0;
                Console.WriteLine($"{what}: {events:N0} events ({host.Pipeline.Metrics.Applied - applied0:N0} applied) in {measured.Sum(b => b.Count)} batches of {BatchSize} from {Devices} buses{(warm is null ? "" : $" after {warm.Sum(b => b.Count)} warm-up batches")}: {seconds:F2} s, {events / seconds:N0} events/s (CPU {cpu:F1} s, {cpu * 1e6 / events:F0} µs/event, the buses' MQTT clients included)");
                return events / seconds;
            }

            async Task SendAndWait(List<byte[]>[] perDevice)
            {
                for (int d = 0; d < Devices; d++)
                {
                    // The target first: a late ack of the phase before never completes the new phase's wait.
                    Volatile.Write(ref target[d], LastSeq(perDevice[d][^1]));
                    Volatile.Write(ref acked[d], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }

                await Task.WhenAll(Enumerable.Range(0, Devices).Select(async d =>
                {
                    byte[] key = registry.FindDevice(devices[d])!.Key;
                    foreach (byte[] payload in perDevice[d])
                    {
                        await clients[d].PublishAsync(DeviceBatchMessage.Build(devices[d], key, payload));
                    }
                }));
                await Task.WhenAll(acked.Select(t => t.Task)).WaitAsync(TimeSpan.FromMinutes(20));
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static ulong LastSeq(byte[] batch) => (ulong)JsonNode.Parse(batch)!["events"]!.AsArray()[^1]!["seq"]!;

    /// <summary>The live managed heap and the resident set after a full, compacting collection (what the figures above hold beyond garbage not yet collected).</summary>
    private static (double HeapMib, double RssMib) Collected()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return (GC.GetTotalMemory(forceFullCollection: true) / 1_048_576.0, Rss());
    }

    private static double Rss()
    {
        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64 / 1_048_576.0;
    }
}
