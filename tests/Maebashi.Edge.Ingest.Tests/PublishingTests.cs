using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Maebashi.Edge.Contract.Messages;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>Retained configuration per role, the ACL on subscriptions, device status and metrics.</summary>
[Trait("Category", "Ingest")]
public sealed class PublishingTests
{
    private static async Task<(IMqttClient Client, Channel<MqttApplicationMessage> Messages)> Connect(string device, int port)
    {
        IMqttClient c = new MqttClientFactory().CreateMqttClient();
        Channel<MqttApplicationMessage> ch = Channel.CreateUnbounded<MqttApplicationMessage>();
        c.ApplicationMessageReceivedAsync += e =>
        {
            ch.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(device + "-cfg").WithCredentials(device, TestKit.Password(device)).Build());
        return (c, ch);
    }

    private static async Task<DeviceConfig> Config(string device, int port)
    {
        (IMqttClient c, Channel<MqttApplicationMessage> ch) = await Connect(device, port);
        using (c)
        {
            await c.SubscribeAsync(Topics.Config(device), MqttQualityOfServiceLevel.AtLeastOnce);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            MqttApplicationMessage m = await ch.Reader.ReadAsync(cts.Token);
            Assert.True(m.Retain);
            return ContractJson.ParseConfig(m.Payload.ToArray());
        }
    }

    [Fact]
    public async Task Each_device_gets_its_roles_part_of_the_registry_as_retained_cfg_and_may_not_read_anothers()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        int port = ingest.Host.MqttPort;

        DeviceConfig bus = await Config("BUS0042", port);
        Assert.Equal("bus", bus.Role);
        Assert.Equal("V0042", bus.Vehicle);
        Assert.Equal(["R01", "R02"], bus.Routes!.Select(r => r.Id));
        Assert.Equal(500, bus.Tariff!.DebtLimit);
        Assert.Null(bus.Events);
        Assert.True(bus.Version >= 1);

        DeviceConfig evt = await Config("EVT01", port);
        Assert.Equal(["E-CLEANUP-1129", "E-WALK-1130"], evt.Events!.Select(e => e.Id));
        Assert.Null(evt.Routes);

        DeviceConfig clinic = await Config("CLN01", port);
        Assert.Equal("C01", clinic.Clinic!.Id);
        Assert.Null(clinic.Routes);

        // Nothing in a configuration identifies a person or a card.
        string all = JsonSerializer.Serialize(new[] { bus, evt, clinic });
        foreach (string secret in TestKit.Pids.Concat(TestKit.Uids))
        {
            Assert.DoesNotContain(secret, all, StringComparison.OrdinalIgnoreCase);
        }

        // Another device's cfg or ack, or a wildcard, is refused.
        (IMqttClient c, _) = await Connect("BUS0043", port);
        using (c)
        {
            MqttClientSubscribeResult r = await c.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(Topics.Config("BUS0042"), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(Topics.Ack("BUS0042"), MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter("maebashi/v1/#", MqttQualityOfServiceLevel.AtLeastOnce)
                .WithTopicFilter(Topics.Config("BUS0043"), MqttQualityOfServiceLevel.AtLeastOnce)
                .Build());
            Assert.Equal(
                [MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.GrantedQoS1],
                r.Items.Select(i => i.ResultCode));
        }
    }

    [Fact]
    public async Task Device_status_and_progress_show_in_devices_and_metrics()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        (IMqttClient c, _) = await Connect("BUS0042", ingest.Host.MqttPort);
        using (c)
        {
            byte[] status = ContractJson.Serialize(new DeviceStatus { Device = "BUS0042", State = "online", Firmware = "1.4.2", Backlog = 37, LastSeq = 9 });
            MqttClientPublishResult pub = await c.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Status("BUS0042")).WithPayload(status)
                .WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.True(pub.IsSuccess, pub.ReasonCode.ToString()); // no subscriber yet: 0x10, still a success

            // Writing another device's status or the deny list is refused.
            MqttClientPublishResult foreign = await c.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topics.Deny).WithPayload(Encoding.UTF8.GetBytes("{}"))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, foreign.ReasonCode);
        }

        await using (DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort))
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            await bus.SendAsync(TestKit.Batch("BUS0042", TestKit.Board(8, "DEADBEEF", now.AddMinutes(-9), "S01"), TestKit.Alight(9, "DEADBEEF", now.AddMinutes(-2), "S02")));
        }

        (int ds, string devices) = await ingest.Get("/api/v1/devices", RunningIngest.AdminToken);
        Assert.Equal(200, ds);
        JsonElement d = TestKit.ParseJson(devices).EnumerateArray().Single(x => x.GetProperty("id").GetString() == "BUS0042");
        Assert.Equal("1.4.2", d.GetProperty("firmware").GetString());
        Assert.Equal(37, d.GetProperty("backlog").GetInt64());
        Assert.Equal(9UL, d.GetProperty("lastSeq").GetUInt64());
        Assert.True(d.GetProperty("online").GetBoolean());

        (int ms, string metrics) = await ingest.Get("/metrics", null);
        Assert.Equal(200, ms);
        Assert.Contains("maebashi_ingest_events_total{status=\"applied\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("maebashi_ingest_device_last_seq{device=\"BUS0042\"} 9", metrics, StringComparison.Ordinal);
        Assert.Contains("maebashi_ingest_device_backlog{device=\"BUS0042\"} 37", metrics, StringComparison.Ordinal);
        Assert.Contains("maebashi_ingest_events_per_second", metrics, StringComparison.Ordinal);
        Assert.Contains("maebashi_ingest_processing_lag_seconds", metrics, StringComparison.Ordinal);
        Assert.Contains("maebashi_ingest_quarantine 0", metrics, StringComparison.Ordinal);
    }
}
