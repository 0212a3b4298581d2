using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The ingest as a worker on Mosquitto takes many batches at once (each PUBACK after its own commit), and a worker
/// killed -9 in the middle of a drain and restarted under its <c>--worker-id</c> resumes its persistent session: the
/// broker delivers again only what was in flight, so the ingest receives at most 1.2 times the events sent, and
/// every event is applied exactly once.
/// </summary>
[Trait("Category", "ScaleOut")]
public sealed partial class PipelinedIntakeTests
{
    private const int Batches = 120;
    private const int EventsPerBatch = 50;
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(20);
    private static readonly string[] Cards = ["04A1B2C3D4E5F6", "DEADBEEF", "0101120012345678", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C", "04BADA55C0FFEE"];

    [GeneratedRegex("^maebashi_ingest_events_total\\{[^}]*status=\"(\\w+)\"[^}]*\\} (\\d+)", RegexOptions.Multiline)]
    private static partial Regex EventsTotal();

    [Fact]
    public async Task A_worker_killed_mid_drain_and_restarted_receives_at_most_1_2_times_the_events_sent_and_applies_each_once()
    {
        string dir = TestKit.TempDir();
        string data = Path.Combine(dir, "data");
        string ops = Path.Combine(dir, "operators.json");
        await File.WriteAllTextAsync(ops, $$"""[{"name": "admin", "token": "{{RunningIngest.AdminToken}}", "scope": "admin"}]""");
        using MosquittoProcess broker = MosquittoProcess.Start(TestKit.Registry, Path.Combine(dir, "mq"), BrokerTimeout);
        string[] run = ["--registry", SharedFixtures.RegistryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", "--operators", ops,
            "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile, "--worker-id", "worker-1"];

        // The bus's backlog reaches the broker while the worker is up; the worker is killed once 5 acks came back.
        int sent = Batches * EventsPerBatch;
        RunningIngestProcess first = await EdgeCli.StartIngestAsync(run);
        using (first)
        {
            await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", broker.Port);
            foreach (byte[] batch in Backlog(DateTimeOffset.UtcNow.AddDays(-3)))
            {
                Assert.Equal(MQTTnet.MqttClientPublishReasonCode.Success, await bus.PublishAsync(batch));
            }

            for (int n = 0; n < 5; n++)
            {
                await bus.NextAckAsync(TimeSpan.FromSeconds(30));
            }

            first.Process.KillHard();
        }

        // The same worker again: its session on the broker holds what it had not acknowledged.
        using RunningIngestProcess second = await EdgeCli.StartIngestAsync(run);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{second.HttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunningIngest.AdminToken);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        long applied;
        while ((applied = EventsApplied(TestKit.ParseJson(await http.GetStringAsync("/api/v1/devices", deadline.Token)))) < sent)
        {
            await Task.Delay(100, deadline.Token);
        }

        Assert.Equal(sent, applied);
        Dictionary<string, long> byStatus = EventsTotal().Matches(await http.GetStringAsync("/metrics", deadline.Token))
            .ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        // What the first run applied, the second saw again only as duplicates: received = sent + those.
        long received = sent + byStatus["duplicate"];
        Assert.True(received <= sent * 1.2, $"the ingest received {received} events for {sent} sent (more than 1.2 times)");
    }

    private static IEnumerable<byte[]> Backlog(DateTimeOffset start)
    {
        for (int b = 0; b < Batches; b++)
        {
            var events = new JsonObject[EventsPerBatch];
            for (int k = 0; k < EventsPerBatch; k += 2)
            {
                int trip = (b * EventsPerBatch + k) / 2;
                string card = Cards[trip % Cards.Length];
                DateTimeOffset board = start.AddMinutes(trip);
                events[k] = TestKit.Board((ulong)(b * EventsPerBatch + k + 1), card, board, "S01");
                events[k + 1] = TestKit.Alight((ulong)(b * EventsPerBatch + k + 2), card, board.AddMinutes(2), "S03");
            }

            yield return TestKit.Batch("BUS0042", events);
        }
    }

    private static long EventsApplied(JsonElement devices) =>
        devices.EnumerateArray().Single(d => d.GetProperty("id").GetString() == "BUS0042").GetProperty("eventsApplied").GetInt64();
}
