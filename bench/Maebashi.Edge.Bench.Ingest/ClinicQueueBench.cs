using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Web;
using Maebashi.Edge.TestSupport;
using MQTTnet;
using MQTTnet.Formatter;

namespace Maebashi.Edge.Bench.Ingest;

/// <summary>
/// A check-in on its way to the clinic's open reception screen: the reception device publishes it, and the clerk's
/// page shows it at its next poll of the queue's JSON. Measured: publish → the JSON lists it (asked every 10 ms, as
/// one signed-in session), then the page's poll interval on top, since a check-in that just missed a poll waits for
/// the next one.
/// </summary>
internal static class ClinicQueueBench
{
    public static async Task<List<double>> MeasureAsync(int mqttPort, int httpPort, byte[] deviceKey, string regionKey, string admin, string password, int samples)
    {
        using HttpClient http = await ConsolePagesBench.SignInAsync(httpPort, admin, password);
        using IMqttClient device = new MqttClientFactory().CreateMqttClient();
        await device.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", mqttPort).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(RegistryGenerator.ClinicDeviceId).WithCredentials(RegistryGenerator.ClinicDeviceId, DeviceAuth.ComputeMqttPassword(deviceKey)).Build());

        string day = JstDay(DateTimeOffset.UtcNow);
        string url = ClinicQueue.JsonPath(RegistryGenerator.BenchClinic) + "?date=" + day;
        var latencies = new List<double>(samples);
        // As the page does: the version it shows goes with each poll, so an unchanged queue is not read (nor audited).
        var shown = new QueueSeen("", 0);
        for (int i = 1; i <= samples; i++)
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            if (JstDay(now) != day)
            {
                // The JST day turned during the run: the queue starts again, and so does the count.
                break;
            }

            string tok = CardToken.Compute(Convert.FromHexString(regionKey), CardTech.Iso14443A, RegistryGenerator.Uid(10 * i + 1));
            var checkIn = new JsonObject
            {
                ["seq"] = i,
                ["type"] = "clinic_checkin",
                ["at"] = now.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
                ["card"] = new JsonObject { ["tok"] = tok, ["tech"] = "iso14443a" },
                ["ctx"] = new JsonObject { ["clinic"] = RegistryGenerator.BenchClinic, ["queue"] = i },
                ["decision"] = "accept",
            };
            byte[] payload = Encoding.UTF8.GetBytes(new JsonObject { ["device"] = RegistryGenerator.ClinicDeviceId, ["events"] = new JsonArray(checkIn) }.ToJsonString());

            long started = Stopwatch.GetTimestamp();
            await device.PublishAsync(DeviceBatchMessage.Build(RegistryGenerator.ClinicDeviceId, deviceKey, payload));
            while ((shown = await PollAsync(http, url, shown)).Rows < i)
            {
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"check-in {i} did not reach the reception queue in 30 s");
                }

                await Task.Delay(10);
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        await device.DisconnectAsync();
        return latencies;
    }

    private static async Task<QueueSeen> PollAsync(HttpClient http, string url, QueueSeen shown)
    {
        using JsonDocument queue = JsonDocument.Parse(await http.GetStringAsync(url + "&v=" + Uri.EscapeDataString(shown.Version)));
        JsonElement rows = queue.RootElement.GetProperty("checkins");
        return rows.ValueKind == JsonValueKind.Array ? new QueueSeen(queue.RootElement.GetProperty("version").GetString()!, rows.GetArrayLength()) : shown;
    }

    private sealed record QueueSeen(string Version, int Rows);

    private static string JstDay(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
