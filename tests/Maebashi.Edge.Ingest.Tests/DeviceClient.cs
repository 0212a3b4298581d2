using System.Buffers;
using System.Threading.Channels;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>A device as the tests drive it: logs in with its derived password, publishes MAC'd batches, reads acks and the deny list.</summary>
internal sealed class DeviceClient : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly Channel<Ack> _acks = Channel.CreateUnbounded<Ack>();
    private readonly Channel<DenyList> _deny = Channel.CreateUnbounded<DenyList>();

    private DeviceClient(string device, IMqttClient client)
    {
        Device = device;
        _client = client;
    }

    public string Device { get; }

    public static async Task<DeviceClient> ConnectAsync(string device, int port, string? password = null)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        var dc = new DeviceClient(device, client);
        client.ApplicationMessageReceivedAsync += e =>
        {
            byte[] body = e.ApplicationMessage.Payload.ToArray();
            if (e.ApplicationMessage.Topic == Topics.Ack(device))
            {
                dc._acks.Writer.TryWrite(ContractJson.ParseAck(body));
            }
            else if (e.ApplicationMessage.Topic == Topics.Deny)
            {
                dc._deny.Writer.TryWrite(ContractJson.ParseDeny(body));
            }

            return Task.CompletedTask;
        };
        MqttClientOptions options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(device + "-test-" + Guid.NewGuid().ToString("N")[..6])
            .WithCredentials(device, password ?? TestKit.Password(device))
            .WithCleanStart(true)
            .Build();
        await client.ConnectAsync(options);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(Topics.Ack(device)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(Topics.Deny).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build());
        return dc;
    }

    /// <summary>Publishes a batch with its MAC and returns the broker's PUBACK reason.</summary>
    public async Task<MqttClientPublishReasonCode> PublishAsync(byte[] payload, string? topic = null, string? mac = null)
    {
        MqttApplicationMessage m = new MqttApplicationMessageBuilder()
            .WithTopic(topic ?? Topics.Events(Device))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty(DeviceAuth.MacProperty, System.Text.Encoding.ASCII.GetBytes(mac ?? TestKit.Mac(Device, payload)).AsMemory())
            .Build();
        MqttClientPublishResult r = await _client.PublishAsync(m);
        return r.ReasonCode;
    }

    /// <summary>Publishes a batch and waits for the ingest's ack of it.</summary>
    public async Task<Ack> SendAsync(byte[] payload, TimeSpan? timeout = null)
    {
        MqttClientPublishReasonCode code = await PublishAsync(payload);
        if (code != MqttClientPublishReasonCode.Success)
        {
            throw new InvalidOperationException($"publish refused: {code}");
        }

        return await NextAckAsync(timeout ?? TimeSpan.FromSeconds(10));
    }

    public async Task<Ack> NextAckAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _acks.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Waits until a deny list satisfying the condition arrives, within the timeout.</summary>
    public async Task<DenyList> WaitDenyAsync(Func<DenyList, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            DenyList d = await _deny.Reader.ReadAsync(cts.Token);
            if (condition(d))
            {
                return d;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync();
            }
            catch (Exception e) when (e is MqttCommunicationException or IOException or ObjectDisposedException)
            {
                // The server was killed between the IsConnected check and the DISCONNECT: nothing left to close.
            }
        }

        _client.Dispose();
    }
}
