using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>An in-process MQTTnet broker on loopback that checks device credentials and can hold a device's publishes.</summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private readonly MqttServer _server;
    private readonly Dictionary<string, byte[]> _deviceKeys;

    private TestBroker(MqttServer server, int port, Dictionary<string, byte[]> deviceKeys)
    {
        _server = server;
        Port = port;
        _deviceKeys = deviceKeys;
    }

    public int Port { get; }

    /// <summary>Connections as the broker saw them: client id, user, clean start, session expiry, protocol.</summary>
    public ConcurrentQueue<(string ClientId, string User, bool CleanStart, uint SessionExpiry, string Protocol)> Connections { get; } = new();

    /// <summary>When set, a device's evt publish waits here before the broker takes it (a stalled drain).</summary>
    public TaskCompletionSource? HoldEvents { get; set; }

    /// <summary>Completed when the first held publish arrived.</summary>
    public TaskCompletionSource EventHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when the broker first had no subscriber for a device's evt (its PUBACK says 16, no matching subscribers).</summary>
    public TaskCompletionSource EventNotConsumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts on <paramref name="port"/>, or with 0 on a free port (tried again if another socket took it meanwhile).</summary>
    public static async Task<TestBroker> StartAsync(int port, Dictionary<string, byte[]> deviceKeys)
    {
        if (port != 0)
        {
            return await StartOnAsync(port, deviceKeys);
        }

        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnAsync(LoopbackPorts.Free(), deviceKeys);
            }
            catch (SocketException) when (attempt < 5)
            {
                // The port was taken between probing and binding (an outgoing connection's local port).
            }
        }
    }

    private static async Task<TestBroker> StartOnAsync(int port, Dictionary<string, byte[]> deviceKeys)
    {
        var factory = new MqttServerFactory();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(port)
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .Build();
        MqttServer server = factory.CreateMqttServer(options);
        var broker = new TestBroker(server, port, deviceKeys);
        server.ValidatingConnectionAsync += broker.Validate;
        server.InterceptingPublishAsync += broker.InterceptAsync;
        server.ApplicationMessageNotConsumedAsync += e =>
        {
            if (Topics.TryParse(e.ApplicationMessage.Topic, out TopicKind kind, out _) && kind == TopicKind.Events)
            {
                broker.EventNotConsumed.TrySetResult();
            }

            return Task.CompletedTask;
        };
        await server.StartAsync();
        return broker;
    }

    private Task Validate(ValidatingConnectionEventArgs e)
    {
        Connections.Enqueue((e.ClientId, e.UserName ?? "", e.CleanSession ?? false, e.SessionExpiryInterval, e.ProtocolVersion.ToString()));
        if (e.ClientId.StartsWith("ingest", StringComparison.Ordinal))
        {
            return Task.CompletedTask;
        }

        if (e.UserName is null || !_deviceKeys.TryGetValue(e.UserName, out byte[]? key) || e.Password != DeviceAuth.ComputeMqttPassword(key))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        }

        return Task.CompletedTask;
    }

    private async Task InterceptAsync(InterceptingPublishEventArgs e)
    {
        if (HoldEvents is { } hold && Topics.TryParse(e.ApplicationMessage.Topic, out TopicKind kind, out _) && kind == TopicKind.Events)
        {
            EventHeld.TrySetResult();
            await hold.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync();
        _server.Dispose();
    }
}

/// <summary>
/// A stand-in for the cloud ingest: subscribes to every device's evt, verifies the MAC, applies each
/// (device, seq) once, and answers with an ack listing the batch's seqs.
/// </summary>
internal sealed class TestIngest : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly byte[] _deviceKey;
    private readonly object _gate = new();

    private TestIngest(IMqttClient client, byte[] deviceKey)
    {
        _client = client;
        _deviceKey = deviceKey;
    }

    /// <summary>Answer each batch at once (otherwise the test answers).</summary>
    public bool AutoAck { get; set; } = true;

    public Dictionary<ulong, int> Received { get; } = [];
    public HashSet<ulong> Applied { get; } = [];
    public List<List<ulong>> Batches { get; } = [];
    public int BadMacs { get; private set; }
    public int MaxBatchEvents { get; private set; }
    public int MaxPayloadBytes { get; private set; }

    /// <summary>Raised (on the client's thread) after each batch was recorded.</summary>
    public event Action<List<ulong>>? BatchReceived;

    public static async Task<TestIngest> StartAsync(int port, byte[] deviceKey)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        var ingest = new TestIngest(client, deviceKey);
        client.ApplicationMessageReceivedAsync += ingest.OnMessageAsync;
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("ingest-" + Guid.NewGuid().ToString("N")).Build());
        await client.SubscribeAsync(Topics.AllEvents, MqttQualityOfServiceLevel.AtLeastOnce);
        return ingest;
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        byte[] payload = e.ApplicationMessage.Payload.ToArray();
        string? mac = e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == DeviceAuth.MacProperty)?.ReadValueAsString();
        EventBatch batch = System.Text.Json.JsonSerializer.Deserialize(payload, ContractJsonContext.Wire.EventBatch)!;
        List<ulong> seqs = [.. batch.Events.Select(x => x.Seq)];
        lock (_gate)
        {
            if (!DeviceAuth.VerifyMac(_deviceKey, payload, mac))
            {
                BadMacs++;
                return;
            }

            Batches.Add(seqs);
            MaxBatchEvents = Math.Max(MaxBatchEvents, seqs.Count);
            MaxPayloadBytes = Math.Max(MaxPayloadBytes, payload.Length);
            foreach (ulong s in seqs)
            {
                Received[s] = Received.GetValueOrDefault(s) + 1;
                Applied.Add(s);
            }
        }

        BatchReceived?.Invoke(seqs);
        if (AutoAck)
        {
            await AckAsync(batch.Device, seqs);
        }
    }

    public Task AckAsync(string device, IEnumerable<ulong> seqs, ulong? upTo = null)
    {
        var ack = new Ack { UpTo = upTo ?? 0, Results = [.. seqs.Select(s => new EventResult { Seq = s, Status = ResultStatus.Applied })] };
        return PublishAsync(Topics.Ack(device), ContractJson.Serialize(ack));
    }

    public Task PublishAsync(string topic, byte[] payload, bool retain = false) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.DisconnectAsync();
        }
        catch (Exception)
        {
            // The broker may be gone already.
        }

        _client.Dispose();
    }
}
