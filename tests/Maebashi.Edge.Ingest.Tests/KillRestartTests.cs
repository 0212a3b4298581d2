using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The real <c>maebashi-edge ingest run</c> killed with SIGKILL mid-stream and restarted on the same data:
/// the device redelivers everything, nothing is applied twice and nothing is lost.
/// </summary>
[Trait("Category", "Ingest")]
[Trait("Category", "Fault")]
public sealed class KillRestartTests
{
    private static readonly string[] Cards = ["04A1B2C3D4E5F6", "DEADBEEF", "0101120012345678", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C", "04BADA55C0FFEE"];
    private static readonly string[] Stops = ["S01", "S02", "S03", "S04", "S05", "S06", "S07"];

    private static Task<RunningIngestProcess> StartIngestAsync(string data, string operators) =>
        EdgeCli.StartIngestAsync(["--registry", SharedFixtures.RegistryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", "--operators", operators]);

    private static List<JsonObject[]> Batches(DateTimeOffset start)
    {
        var events = new List<JsonObject>();
        for (int k = 0; k < 300; k++)
        {
            string card = Cards[k % Cards.Length];
            DateTimeOffset board = start.AddMinutes(k * 17);
            events.Add(TestKit.Board((ulong)(2 * k + 1), card, board, Stops[k % 3]));
            events.Add(TestKit.Alight((ulong)(2 * k + 2), card, board.AddMinutes(9), Stops[3 + k % 4]));
        }

        return events.Chunk(10).ToList();
    }

    [Fact]
    public async Task Killed_mid_stream_and_restarted_on_the_same_data_nothing_is_applied_twice_and_nothing_is_lost()
    {
        string dir = TestKit.TempDir();
        string data = Path.Combine(dir, "data");
        string ops = Path.Combine(dir, "operators.json");
        await File.WriteAllTextAsync(ops, $$"""[{"name": "admin", "token": "{{RunningIngest.AdminToken}}", "scope": "admin"}]""");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        List<JsonObject[]> batches = Batches(now.AddDays(-4));

        // Run 1: stream batches and kill the process once 10 have been acknowledged, with more in flight.
        var appliedBeforeKill = new HashSet<ulong>();
        RunningIngestProcess first = await StartIngestAsync(data, ops);
        using (first)
        {
            await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", first.MqttPort);
            var acked = new TaskCompletionSource();
            Task stream = Task.Run(async () =>
            {
                foreach (JsonObject[] b in batches)
                {
                    await bus.PublishAsync(TestKit.Batch("BUS0042", b));
                }
            });
            for (int n = 0; n < 10; n++)
            {
                Ack ack = await bus.NextAckAsync(TimeSpan.FromSeconds(30));
                appliedBeforeKill.UnionWith(ack.Results.Where(r => r.Status == ResultStatus.Applied).Select(r => r.Seq));
            }

            first.Process.KillHard(); // SIGKILL: no shutdown code runs
            await Assert.ThrowsAnyAsync<Exception>(() => stream.WaitAsync(TimeSpan.FromSeconds(30)));
        }

        Assert.True(appliedBeforeKill.Count >= 100);
        Assert.True(appliedBeforeKill.Count < 600, "the kill came too late to be mid-stream");

        // Run 2 on the same data: the device redelivers everything it holds.
        using RunningIngestProcess second = await StartIngestAsync(data, ops);
        await using (DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", second.MqttPort))
        {
            var appliedAfter = new HashSet<ulong>();
            var duplicates = new HashSet<ulong>();
            foreach (JsonObject[] b in batches)
            {
                Ack ack = await bus.SendAsync(TestKit.Batch("BUS0042", b), TimeSpan.FromSeconds(30));
                appliedAfter.UnionWith(ack.Results.Where(r => r.Status == ResultStatus.Applied).Select(r => r.Seq));
                duplicates.UnionWith(ack.Results.Where(r => r.Status == ResultStatus.Duplicate).Select(r => r.Seq));
                Assert.DoesNotContain(ack.Results, r => r.Status == ResultStatus.Rejected);
            }

            Assert.Empty(appliedBeforeKill.Intersect(appliedAfter));
            Assert.Superset(appliedBeforeKill, duplicates);
            Assert.Equal(600, appliedAfter.Count + duplicates.Count);
        }

        // Every wallet equals one clean in-order delivery of the same batches.
        using var expected = new PipelineKit(new FakeTimeProvider(now));
        foreach (JsonObject[] b in batches)
        {
            expected.Send("BUS0042", b);
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{second.HttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunningIngest.AdminToken);
        foreach (string card in Cards)
        {
            JsonElement w = TestKit.ParseJson(await http.GetStringAsync($"/api/v1/cards/{TestKit.Tok(card)}/wallet"));
            string pid = TestKit.Registry.FindCard(TestKit.Tok(card))!.Pid;
            var want = expected.Pipeline.WalletOf(pid);
            Assert.Equal(want.Value, w.GetProperty("value").GetInt64());
            Assert.Equal(want.Points, w.GetProperty("points").GetInt64());
            Assert.Equal(expected.Store.AllTrips(pid).Count, w.GetProperty("trips").GetArrayLength());
            Assert.Equal(want.Value, w.GetProperty("entries").EnumerateArray().Sum(e => e.GetProperty("value").GetInt64()));
        }

        JsonElement devices = TestKit.ParseJson(await http.GetStringAsync("/api/v1/devices"));
        JsonElement bus42 = devices.EnumerateArray().Single(d => d.GetProperty("id").GetString() == "BUS0042");
        Assert.Equal(600UL, bus42.GetProperty("lastSeq").GetUInt64());
        Assert.Equal(600, bus42.GetProperty("eventsApplied").GetInt64());
    }

    [Fact]
    public async Task SIGTERM_stops_the_ingest_cleanly_and_the_data_opens_again()
    {
        string dir = TestKit.TempDir();
        string data = Path.Combine(dir, "data");
        string ops = Path.Combine(dir, "operators.json");
        await File.WriteAllTextAsync(ops, $$"""[{"name": "admin", "token": "{{RunningIngest.AdminToken}}", "scope": "admin"}]""");
        RunningIngestProcess first = await StartIngestAsync(data, ops);
        using (first)
        {
            await using (DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", first.MqttPort))
            {
                DateTimeOffset now = DateTimeOffset.UtcNow;
                Ack ack = await bus.SendAsync(TestKit.Batch("BUS0042", TestKit.Board(1, "04A1B2C3D4E5F6", now.AddMinutes(-30), "S01"), TestKit.Alight(2, "04A1B2C3D4E5F6", now.AddMinutes(-20), "S03")));
                Assert.Equal(2UL, ack.UpTo);
            }

            (int killExit, _, string killErr) = await ProcessRunner.RunAsync("kill", ["-TERM", first.Process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            Assert.True(killExit == 0, killErr);
            Assert.Equal(0, await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        using RunningIngestProcess second = await StartIngestAsync(data, ops);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{second.HttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunningIngest.AdminToken);
        JsonElement w = TestKit.ParseJson(await http.GetStringAsync($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/wallet"));
        Assert.Equal(1000 - 220, w.GetProperty("value").GetInt64());
    }
}
