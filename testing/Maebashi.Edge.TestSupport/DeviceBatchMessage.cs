using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using MQTTnet;
using MQTTnet.Protocol;

namespace Maebashi.Edge.TestSupport;

/// <summary>A device's batch as its terminal publishes it: its events topic, QoS 1, the batch's MAC as a user property.</summary>
public static class DeviceBatchMessage
{
    public static MqttApplicationMessage Build(string device, byte[] key, byte[] payload) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(Topics.Events(device))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty(DeviceAuth.MacProperty, Encoding.ASCII.GetBytes(DeviceAuth.ComputeMac(key, payload)).AsMemory())
            .Build();
}
