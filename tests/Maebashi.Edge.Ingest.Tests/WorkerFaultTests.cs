using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Store.Postgres;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// Two ingest workers (processes) on one PostgreSQL and one Mosquitto drain a bus's backlog while something fails in the
/// middle of it; the bus resends what it has no ack for, as a terminal does. Compared with the same backlog applied without
/// a fault: the same wallets, every event applied once (nothing twice, nothing lost), whichever worker took which batch.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "ScaleOut")]
public sealed class WorkerFaultTests(PostgresFixture postgres) : IDisposable
{
    private const string Bus = "BUS0042";
    private const string AdminToken = "worker-faults-admin-token-0123456789";
    private const int Batches = 80;
    private const int EventsPerBatch = 20;

    /// <summary>Acks the bus has back before the fault: the rest of the backlog is in flight or waiting.</summary>
    private const int AcksBeforeFault = 8;

    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(3);
    private static readonly string[] Riders = ["04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C", "04BADA55C0FFEE"];

    private readonly string _dir = TestKit.TempDir();
    private readonly List<IDisposable> _running = [];

    public enum Fault
    {
        /// <summary>kill -9 of one worker while batches are in flight, then its restart under the same id.</summary>
        WorkerKilled,

        /// <summary>kill -9 of PostgreSQL (every server process) while batches are in flight, then its restart.</summary>
        PostgresKilled,

        /// <summary>kill -9 of Mosquitto while batches are in flight, then its restart on its persistence.</summary>
        MosquittoRestarted,

        /// <summary>The second worker starts only once the first has applied part of the backlog.</summary>
        WorkerStartsLate,
    }

    public void Dispose()
    {
        foreach (IDisposable d in Enumerable.Reverse(_running))
        {
            d.Dispose();
        }
    }

    [Theory]
    [InlineData(Fault.WorkerKilled)]
    [InlineData(Fault.PostgresKilled)]
    [InlineData(Fault.MosquittoRestarted)]
    [InlineData(Fault.WorkerStartsLate)]
    public async Task After_a_fault_mid_drain_every_event_is_applied_once_and_the_wallets_are_those_of_a_fault_free_run(Fault fault)
    {
        DateTimeOffset start = DateTimeOffset.UtcNow.AddDays(-2);
        List<byte[]> backlog = [.. Backlog(start)];
        int sent = Batches * EventsPerBatch;
        PostgresDatabase db = await postgres.Server.CreateDatabaseAsync("faults");
        var broker = MosquittoProcess.Start(TestKit.Registry, Path.Combine(_dir, "mq"), BrokerTimeout);
        _running.Add(broker);
        string ops = Path.Combine(_dir, "operators.json");
        await File.WriteAllTextAsync(ops, $$"""[{"name": "admin", "token": "{{AdminToken}}", "scope": "admin"}]""");
        var workers = new Dictionary<string, RunningIngestProcess>();
        async Task StartWorker(string id)
        {
            RunningIngestProcess w = await EdgeCli.StartIngestAsync(["--registry", SharedFixtures.RegistryPath, "--store", db.Uri, "--worker-id", id,
                "--data", Path.Combine(_dir, id), "--http-port", "0", "--mqtt-port", "0", "--operators", ops,
                "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile]);
            _running.Add(w);
            workers[id] = w;
        }

        if (fault == Fault.PostgresKilled)
        {
            // A checkpoint before the drain keeps the crash recovery to this test's own writes: the server is shared by
            // the assembly's tests, and replaying all of theirs on a loaded machine outlasts the server's start timeout.
            await Checkpoint(db);
        }

        await StartWorker("worker-a");
        if (fault != Fault.WorkerStartsLate)
        {
            await StartWorker("worker-b");
        }

        // The bus sends its backlog; the fault comes once a few acks are back, with the rest in flight.
        var settled = new HashSet<ulong>();
        DeviceClient bus = await DeviceClient.ConnectAsync(Bus, broker.Port);
        try
        {
            foreach (byte[] batch in backlog)
            {
                await bus.PublishAsync(batch);
            }

            for (int n = 0; n < AcksBeforeFault; n++)
            {
                Settle(settled, await bus.NextAckAsync(TimeSpan.FromSeconds(60)));
            }

            switch (fault)
            {
                case Fault.WorkerKilled:
                    workers["worker-b"].Process.KillHard();
                    await StartWorker("worker-b");
                    break;
                case Fault.PostgresKilled:
                    postgres.Server.Kill();
                    await postgres.Server.StartAsync();
                    break;
                case Fault.MosquittoRestarted:
                    broker.Kill();
                    broker.Restart(BrokerTimeout);
                    // The bus's link dropped with the broker: it connects again.
                    await bus.DisposeAsync();
                    bus = await DeviceClient.ConnectAsync(Bus, broker.Port);
                    break;
                case Fault.WorkerStartsLate:
                    await StartWorker("worker-b");
                    break;
            }

            // Like a terminal: resend every batch not yet acknowledged whole when no ack came for a while.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(150));
            while (settled.Count < sent)
            {
                try
                {
                    Settle(settled, await bus.NextAckAsync(ResendAfter));
                }
                catch (OperationCanceledException)
                {
                    Assert.False(deadline.IsCancellationRequested,
                        $"{sent - settled.Count} events never acknowledged; the workers said:\n{string.Join("\n", workers.Values.Select(w => w.Process.ErrorTail))}");
                    for (int b = 0; b < Batches; b++)
                    {
                        if (Enumerable.Range(b * EventsPerBatch + 1, EventsPerBatch).Any(s => !settled.Contains((ulong)s)))
                        {
                            await bus.PublishAsync(backlog[b]);
                        }
                    }
                }
            }
        }
        finally
        {
            await bus.DisposeAsync();
        }

        // Nothing lost, nothing twice: each (device, seq) once, the device's count of applied events the backlog's.
        await using (var c = new NpgsqlConnection(db.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*), count(DISTINCT seq) FROM taps WHERE device = $1", c) { Parameters = { new() { Value = Bus } } };
            await using NpgsqlDataReader r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            Assert.Equal((sent, sent), (r.GetInt64(0), r.GetInt64(1)));
        }

        var now = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var faultFree = new PipelineKit(now);
        foreach (byte[] batch in backlog)
        {
            Assert.False(faultFree.Pipeline.ProcessBatch(TestKit.Topic(Bus), batch, TestKit.Mac(Bus, batch)).IsRejected);
        }

        using var shared = new PipelineKit(now, new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri)));
        DeviceProgress progress = shared.Store.Devices().Single(d => d.Device == Bus);
        Assert.Equal(((ulong)sent, (long)sent), (progress.UpTo, progress.EventsApplied));
        // The wallets, trips and entries (which add up to each wallet: no fare or point counted twice).
        Assert.Equal(faultFree.Wallets(), shared.Wallets());
    }

    private static async Task Checkpoint(PostgresDatabase db)
    {
        // Unpooled: a pooled connection would be dead once the server is killed, and the next use of the pool would fail.
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false }.ConnectionString);
        await c.OpenAsync();
        // Writing out every database's dirty pages may take minutes on a loaded machine.
        await using var cmd = new NpgsqlCommand("CHECKPOINT", c) { CommandTimeout = 300 };
        await cmd.ExecuteNonQueryAsync();
    }

    // An event with a result is settled on the ingest's side, whatever the rules said of it (the wallets are compared after).
    private static void Settle(HashSet<ulong> settled, Ack ack) => settled.UnionWith(ack.Results.Select(r => r.Seq));

    /// <summary>Trips of every rider, each batch taking them in its own order (two workers lock the same persons in different orders).</summary>
    private static IEnumerable<byte[]> Backlog(DateTimeOffset start)
    {
        var order = new Random(14);
        for (int b = 0; b < Batches; b++)
        {
            string[] shuffled = [.. Riders.OrderBy(_ => order.Next())];
            var events = new JsonObject[EventsPerBatch];
            for (int k = 0; k < EventsPerBatch; k += 2)
            {
                ulong seq = (ulong)(b * EventsPerBatch + k + 1);
                DateTimeOffset board = start.AddMinutes(seq);
                string card = shuffled[k / 2 % shuffled.Length];
                events[k] = TestKit.Board(seq, card, board, "S01");
                events[k + 1] = TestKit.Alight(seq + 1, card, board.AddSeconds(30), "S03");
            }

            yield return TestKit.Batch(Bus, events);
        }
    }
}
