using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.TestSupport;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Maebashi.Edge.Bench.WholeSystem;

/// <summary>
/// Ingest workers as processes, clients of a real Mosquitto, with batches of 100 events from 8 buses (issue 14's bench):
/// (a) one worker on LiteDB, (b) one worker on PostgreSQL, (c) two workers on one PostgreSQL database, each on a fresh
/// broker and store, timed from the first publish to the last event's ack; and the PostgreSQL store-only baseline:
/// one de-duplication record per event, one transaction per batch, the same batches, one connection per bus.
/// </summary>
internal sealed partial class SystemBench
{
    private const int WorkerBenchBuses = 8;
    private const int WorkerBenchBatch = 100;
    private const int WorkerBenchWarmBatches = 5;

    private async Task WorkersAsync(CancellationToken ct)
    {
        int events = _o.Quick ? 40_000 : 200_000;
        Say("");
        Say($"── ingest workers through Mosquitto: {events:N0} events in batches of {WorkerBenchBatch} from {WorkerBenchBuses} buses, per setup");
        string dir = Path.Combine(_root, "workers");
        Directory.CreateDirectory(dir);
        string registryPath = Path.Combine(dir, "registry.json");
        RegistryGenerator.WriteBusFleet(registryPath, E2ePersons, E2eCards, WorkerBenchBuses);
        CityRegistry registry = RegistryLoader.Load(registryPath);
        List<JsonObject[]>[] batches = WorkerBenchBatches(registry, events);
        await using PostgresServer postgres = await PostgresServer.StartAsync();

        double litedb = await WorkerSetupAsync("a", 1, null, registry, registryPath, batches, ct);
        double onePg = await WorkerSetupAsync("b", 1, (await postgres.CreateDatabaseAsync("bench_b")).Uri, registry, registryPath, batches, ct);
        double twoPg = await WorkerSetupAsync("c", 2, (await postgres.CreateDatabaseAsync("bench_c")).Uri, registry, registryPath, batches, ct);
        double baseline = await PostgresStoreOnlyAsync((await postgres.CreateDatabaseAsync("bench_base")).ConnectionString, batches, ct);
        _figures["workers_a_litedb_events_per_s"] = litedb;
        _figures["workers_b_postgres_events_per_s"] = onePg;
        _figures["workers_c_two_postgres_events_per_s"] = twoPg;
        _figures["postgres_store_only_events_per_s"] = baseline;
        _figures["workers_c_vs_b"] = twoPg / onePg;
        _figures["workers_c_vs_store_only"] = twoPg / baseline;
        Say(string.Create(Inv, $"   (a) one worker, LiteDB {litedb:N0} events/s; (b) one worker, PostgreSQL {onePg:N0}; (c) two workers, PostgreSQL {twoPg:N0} ({twoPg / onePg:F2} × b, {twoPg / baseline:F2} × the store-only {baseline:N0})"));
    }

    /// <summary>Batches per bus: board/alight pairs of random cards (not lost) over the last 20 days, seqs rising per bus.</summary>
    private List<JsonObject[]>[] WorkerBenchBatches(CityRegistry registry, int events)
    {
        var rnd = new Random(14);
        int perBus = events / WorkerBenchBuses + WorkerBenchWarmBatches * WorkerBenchBatch;
        var batches = new List<JsonObject[]>[WorkerBenchBuses];
        for (int d = 0; d < WorkerBenchBuses; d++)
        {
            var taps = new List<JsonObject>(perBus);
            DateTimeOffset at = DateTimeOffset.UtcNow.AddDays(-20).AddMinutes(d);
            for (int k = 0; k < perBus / 2; k++)
            {
                int card;
                do
                {
                    card = rnd.Next(E2eCards);
                }
                while (card % RegistryGenerator.LostCardEvery == 0);

                string tok = CardToken.Compute(registry.RegionKey, CardTech.Iso14443A, RegistryGenerator.Uid(card));
                int board = 1 + rnd.Next(3);
                taps.Add(BusTapJson.Tap((ulong)(2 * k + 1), "board", at, tok, $"V{d:D4}", $"S{board:D2}"));
                taps.Add(BusTapJson.Tap((ulong)(2 * k + 2), "alight", at.AddMinutes(12), tok, $"V{d:D4}", $"S{board + 1 + rnd.Next(4):D2}"));
                at = at.AddSeconds(20);
            }

            batches[d] = [.. taps.Chunk(WorkerBenchBatch)];
        }

        return batches;
    }

    /// <summary>One setup on a fresh broker: its workers started, warm-up batches acknowledged, then the timed ones; events/s.</summary>
    private async Task<double> WorkerSetupAsync(string name, int workers, string? store, CityRegistry registry, string registryPath, List<JsonObject[]>[] batches, CancellationToken ct)
    {
        string dir = Path.Combine(_root, "workers", name);
        using MosquittoProcess broker = MosquittoProcess.Start(registry, Path.Combine(dir, "mosquitto"), TimeSpan.FromSeconds(20));
        var started = new List<ChildProcess>();
        for (int i = 1; i <= workers; i++)
        {
            List<string> args = ["--registry", registryPath, "--data", Path.Combine(dir, $"worker-{i}"), "--http-port", "0", "--mqtt-port", "0",
                "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile, "--worker-id", $"bench-{name}-{i}"];
            if (store is not null)
            {
                args.AddRange(["--store", store]);
            }

            ChildProcess worker = StartIngest($"ingest-{name}{i}", args);
            await worker.WaitForLineAsync(l => l.StartsWith("mqtt-port=", StringComparison.Ordinal), TimeSpan.FromMinutes(3), ct);
            started.Add(worker);
        }

        int warm = WorkerBenchWarmBatches * WorkerBenchBatch * WorkerBenchBuses;
        int timed = batches.Sum(b => b.Skip(WorkerBenchWarmBatches).Sum(x => x.Length));
        long settled = 0;
        var warmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var buses = new List<IMqttClient>();
        try
        {
            for (int d = 0; d < WorkerBenchBuses; d++)
            {
                string bus = RegistryGenerator.DeviceId(d);
                IMqttClient client = new MqttClientFactory().CreateMqttClient();
                client.ApplicationMessageReceivedAsync += e =>
                {
                    // Acks may come out of order from two workers: count every settled event once per ack.
                    Ack ack = ContractJson.ParseAck(e.ApplicationMessage.Payload.ToArray());
                    long now = Interlocked.Add(ref settled, ack.Results.Count(r => r.Status is ResultStatus.Applied or ResultStatus.Duplicate or ResultStatus.Rejected));
                    if (now >= warm)
                    {
                        warmed.TrySetResult();
                    }

                    if (now >= warm + timed)
                    {
                        done.TrySetResult();
                    }

                    return Task.CompletedTask;
                };
                await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithProtocolVersion(MqttProtocolVersion.V500)
                    .WithClientId(bus).WithCredentials(bus, DeviceAuth.ComputeMqttPassword(registry.FindDevice(bus)!.Key)).Build(), ct);
                await client.SubscribeAsync(Topics.Ack(bus), MqttQualityOfServiceLevel.AtLeastOnce, ct);
                buses.Add(client);
            }

            await PublishAsync(registry, buses, batches, 0, WorkerBenchWarmBatches, ct);
            await warmed.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
            var clock = Stopwatch.StartNew();
            await PublishAsync(registry, buses, batches, WorkerBenchWarmBatches, int.MaxValue, ct);
            await done.Task.WaitAsync(TimeSpan.FromMinutes(15), ct);
            double rate = timed / clock.Elapsed.TotalSeconds;
            Say(string.Create(Inv, $"   ({name}) {workers} worker(s) on {(store is null ? "LiteDB" : "PostgreSQL")}: {timed:N0} events in {clock.Elapsed.TotalSeconds:F2} s, {rate:N0} events/s"));
            return rate;
        }
        finally
        {
            foreach (IMqttClient c in buses)
            {
                c.Dispose();
            }

            foreach (ChildProcess worker in started)
            {
                await worker.StopAsync(TimeSpan.FromSeconds(20));
                Untrack(worker);
            }
        }
    }

    private static Task PublishAsync(CityRegistry registry, List<IMqttClient> buses, List<JsonObject[]>[] batches, int from, int count, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, buses.Count).Select(async d =>
        {
            string bus = RegistryGenerator.DeviceId(d);
            byte[] key = registry.FindDevice(bus)!.Key;
            foreach (JsonObject[] batch in batches[d].Skip(from).Take(count))
            {
                byte[] payload = Encoding.UTF8.GetBytes(new JsonObject { ["device"] = bus, ["events"] = new JsonArray([.. batch.Select(e => e.DeepClone())]) }.ToJsonString());
                await buses[d].PublishAsync(DeviceBatchMessage.Build(bus, key, payload), ct);
            }
        }));

    /// <summary>
    /// The store-only baseline: per batch one transaction inserting one de-duplication record per event
    /// (<c>INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING</c>, committed durably), one connection per bus.
    /// </summary>
    private static async Task<double> PostgresStoreOnlyAsync(string connectionString, List<JsonObject[]>[] batches, CancellationToken ct)
    {
        await using NpgsqlDataSource source = NpgsqlDataSource.Create(connectionString);
        await using (NpgsqlCommand create = source.CreateCommand("CREATE TABLE dedup (device text NOT NULL, seq bigint NOT NULL, at bigint NOT NULL, body jsonb NOT NULL, PRIMARY KEY (device, seq))"))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        int timed = batches.Sum(b => b.Skip(WorkerBenchWarmBatches).Sum(x => x.Length));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, batches.Length).Select(async d =>
        {
            await using NpgsqlConnection c = await source.OpenConnectionAsync(ct);
            await using (NpgsqlCommand sync = new("SET synchronous_commit = on", c))
            {
                await sync.ExecuteNonQueryAsync(ct);
            }

            foreach (JsonObject[] batch in batches[d].Skip(WorkerBenchWarmBatches))
            {
                await using NpgsqlTransaction tx = await c.BeginTransactionAsync(ct);
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO dedup (device, seq, at, body) SELECT $1, s, a, b FROM unnest($2, $3, $4) AS t(s, a, b) ON CONFLICT DO NOTHING", c, tx);
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = RegistryGenerator.DeviceId(d) });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = batch.Select(e => (long)e["seq"]!.GetValue<ulong>()).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = batch.Select(e => DateTimeOffset.Parse(e["at"]!.GetValue<string>(), Inv).UtcTicks).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = batch.Select(e => e.ToJsonString()).ToArray() });
                await insert.ExecuteNonQueryAsync(ct);
                await tx.CommitAsync(ct);
            }
        }));
        double rate = timed / clock.Elapsed.TotalSeconds;
        Say(string.Create(Inv, $"   PostgreSQL store-only: {timed:N0} de-duplication records in batches of {WorkerBenchBatch}, {rate:N0} events/s"));
        return rate;
    }
}
