using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maebashi.Edge.Broker.Tls;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.System.Tests;

/// <summary>
/// Two ingest workers on one PostgreSQL database reach one Mosquitto through <c>mqtts://</c>, sharing its
/// <c>$share/ingest/…</c> subscription: a bus's batches are split between them, each is applied exactly once and
/// acknowledged by the worker that committed it, and either worker's API shows every worker's commits.
/// </summary>
[Trait("Category", "Tls")]
[Trait("Category", "ScaleOut")]
[Collection(PostgresCollection.Name)]
public sealed partial class TlsWorkersTests(PostgresFixture postgres) : IDisposable
{
    private const string Bus = "BUS0042";
    private const string AdminToken = "tls-workers-admin-token-0123456789abcdef";
    private const int Batches = 40;
    private const int EventsPerBatch = 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("maebashi-tls-workers-").FullName;
    private readonly List<IDisposable> _running = [];

    [GeneratedRegex("^maebashi_ingest_batches_total(?:\\{[^}]*\\})? (\\d+)", RegexOptions.Multiline)]
    private static partial Regex BatchesTotal();

    public void Dispose()
    {
        foreach (IDisposable d in Enumerable.Reverse(_running))
        {
            d.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Two_workers_through_mqtts_share_the_bus_batches_and_apply_each_event_once()
    {
        string ca = Path.Combine(_dir, "ca");
        ProcessResult made = EdgeCli.Run("tls", "dev-ca", "--out", ca, "--hosts", "localhost,127.0.0.1");
        Assert.True(made.Exit == 0, $"tls dev-ca: {made.Err}");
        string caCert = Path.Combine(ca, DevCertificateAuthority.CaCertificateFile);
        CityRegistry registry = RegistryLoader.Load(SharedFixtures.RegistryPath);
        var broker = MosquittoProcess.Start(registry, Path.Combine(_dir, "mq"), Timeout, new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key")));
        _running.Add(broker);
        PostgresDatabase db = await postgres.Server.CreateDatabaseAsync("tlsworkers");
        string ops = Path.Combine(_dir, "operators.json");
        await File.WriteAllTextAsync(ops, $$"""[{"name": "admin", "token": "{{AdminToken}}", "scope": "admin"}]""");

        var workers = new List<RunningIngestProcess>();
        foreach (string id in new[] { "worker-a", "worker-b" })
        {
            RunningIngestProcess worker = await EdgeCli.StartIngestAsync(["--registry", SharedFixtures.RegistryPath, "--store", db.Uri, "--worker-id", id,
                "--data", Path.Combine(_dir, id), "--http-port", "0", "--mqtt-port", "0", "--operators", ops,
                "--broker", $"mqtts://localhost:{broker.TlsPort}", "--broker-ca", caCert, "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile]);
            _running.Add(worker);
            workers.Add(worker);
        }

        // The bus sends its batches (plain MQTT on the broker's loopback listener: the ingest's link is under test).
        var settled = new HashSet<ulong>();
        var allAcked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IMqttClient bus = new MqttClientFactory().CreateMqttClient();
        bus.ApplicationMessageReceivedAsync += e =>
        {
            Ack ack = ContractJson.ParseAck(e.ApplicationMessage.Payload.ToArray());
            lock (settled)
            {
                settled.UnionWith(ack.Results.Where(r => r.Status is ResultStatus.Applied or ResultStatus.Duplicate).Select(r => r.Seq));
                if (settled.Count == Batches * EventsPerBatch)
                {
                    allAcked.TrySetResult();
                }
            }

            return Task.CompletedTask;
        };
        byte[] key = registry.FindDevice(Bus)!.Key;
        await bus.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(Bus).WithCredentials(Bus, DeviceAuth.ComputeMqttPassword(key)).Build());
        await bus.SubscribeAsync(Topics.Ack(Bus), MqttQualityOfServiceLevel.AtLeastOnce);
        // Every batch holds trips of most of the registry's riders in its own order, so two workers applying two
        // batches at once lock the same persons in different orders.
        string[] riders = ["04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C", "04BADA55C0FFEE"];
        var order = new Random(14);
        DateTimeOffset start = DateTimeOffset.UtcNow.AddDays(-2);
        for (int b = 0; b < Batches; b++)
        {
            var events = new JsonArray();
            string[] shuffled = [.. riders.OrderBy(_ => order.Next())];
            for (int k = 0; k < EventsPerBatch; k += 2)
            {
                ulong seq = (ulong)(b * EventsPerBatch + k + 1);
                string tok = registry.TokenFor(CardTech.Iso14443A, shuffled[k / 2 % shuffled.Length]);
                DateTimeOffset board = start.AddMinutes(seq);
                events.Add(BusTapJson.Tap(seq, "board", board, tok, "V0042", "S01"));
                events.Add(BusTapJson.Tap(seq + 1, "alight", board.AddSeconds(30), tok, "V0042", "S03"));
            }

            byte[] payload = Encoding.UTF8.GetBytes(new JsonObject { ["device"] = Bus, ["events"] = events }.ToJsonString());
            MqttClientPublishResult published = await bus.PublishAsync(DeviceBatchMessage.Build(Bus, key, payload));
            Assert.True(published.IsSuccess, $"batch {b}: {published.ReasonCode}");
        }

        try
        {
            await allAcked.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Batches * EventsPerBatch - settled.Count} events not acknowledged; the workers said:\n{string.Join("\n", workers.Select(w => w.Process.ErrorTail))}");
        }

        // Each worker took a share, and each answers for every worker's commits: the events were applied once.
        foreach (RunningIngestProcess worker in workers)
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.HttpPort}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
            long batches = long.Parse(BatchesTotal().Match(await GetAsync(http, "/metrics", worker)).Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(batches > 0, $"worker on :{worker.HttpPort} took no batch of the shared subscription");
            using JsonDocument devices = JsonDocument.Parse(await GetAsync(http, "/api/v1/devices", worker));
            JsonElement bus42 = devices.RootElement.EnumerateArray().Single(d => d.GetProperty("id").GetString() == Bus);
            Assert.Equal(Batches * EventsPerBatch, bus42.GetProperty("eventsApplied").GetInt64());
        }
    }

    /// <summary>The answer, or a failure that shows the worker's log.</summary>
    private static async Task<string> GetAsync(HttpClient http, string path, RunningIngestProcess worker)
    {
        using HttpResponseMessage response = await http.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {body}\n{worker.Process.ErrorTail}");
        return body;
    }
}
