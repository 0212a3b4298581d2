using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.TestSupport;
using MQTTnet;

namespace Maebashi.Edge.Web.Tests;

/// <summary>Publishes a batch as a registry device would (its MQTT password and mac), and waits for the ingest's ack.</summary>
internal static class DevicePublisher
{
    /// <summary>A bus tap of the card with that Type A UID on R01 (vehicle V0042), as a bus terminal records it.</summary>
    public static JsonObject BusTap(int seq, string type, string uid, DateTimeOffset at, string stop) => new()
    {
        ["seq"] = seq,
        ["type"] = type,
        ["at"] = at.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture),
        ["card"] = new JsonObject { ["tok"] = ConsoleSite.Registry.TokenFor(CardTech.Iso14443A, uid), ["tech"] = "iso14443a" },
        ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = "V0042", ["stop"] = stop },
        ["decision"] = "accept",
    };

    public static async Task PublishAsync(int mqttPort, string device, params JsonObject[] events)
    {
        byte[] key = ConsoleSite.Registry.FindDevice(device)!.Key;
        var batch = new JsonObject { ["device"] = device, ["events"] = new JsonArray([.. events]) };
        byte[] payload = Encoding.UTF8.GetBytes(batch.ToJsonString());
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        var acked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += _ =>
        {
            acked.TrySetResult();
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", mqttPort)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(device + "-web-test")
            .WithCredentials(device, DeviceAuth.ComputeMqttPassword(key))
            .Build());
        await client.SubscribeAsync(Topics.Ack(device), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        MqttClientPublishResult published = await client.PublishAsync(DeviceBatchMessage.Build(device, key, payload));
        Assert.True(published.IsSuccess, $"publish: {published.ReasonCode}");
        await acked.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await client.DisconnectAsync();
    }
}
