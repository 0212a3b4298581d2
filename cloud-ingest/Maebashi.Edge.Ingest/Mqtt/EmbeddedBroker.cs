using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Maebashi.Edge.Ingest.Mqtt;

/// <summary>
/// The default broker: MQTTnet's server on 127.0.0.1 only. Devices log in with their id and derived
/// password (docs/contract.md §9); the topic ACL lets a device write only its own evt/status and read only its own
/// ack/cfg and the deny list. Each evt publish is processed durably inside the publish hook, so the PUBACK
/// (and the ingest's ack) follow the commit. Retained messages are kept in the store across restarts.
/// </summary>
public sealed class EmbeddedBroker : IMqttPublisher, IAsyncDisposable
{
    private const string DeviceItem = "device";
    private const string InternalClientId = "maebashi-ingest";

    private readonly IngestPipeline _pipeline;
    private readonly IIngestStore _store;
    private readonly ILogger _logger;
    private readonly Dictionary<string, byte[]> _passwords;
    private MqttServer? _server;

    public EmbeddedBroker(IngestPipeline pipeline, IIngestStore store, ILogger logger, int port)
    {
        _pipeline = pipeline;
        _store = store;
        _logger = logger;
        Port = port == 0 ? FreeLoopbackPort() : port;
        _passwords = pipeline.Registry.Devices.ToDictionary(
            d => d.Id, d => Encoding.ASCII.GetBytes(DeviceAuth.ComputeMqttPassword(d.Key)), StringComparer.Ordinal);
    }

    public int Port { get; }

    public async Task StartAsync()
    {
        var factory = new MqttServerFactory();
        MqttServerOptions options = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(Port)
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .Build();
        _server = factory.CreateMqttServer(options);
        _server.ValidatingConnectionAsync += ValidateConnection;
        _server.InterceptingPublishAsync += InterceptPublish;
        _server.InterceptingSubscriptionAsync += InterceptSubscription;
        _server.LoadingRetainedMessageAsync += LoadRetained;
        _server.RetainedMessageChangedAsync += RetainedChanged;
        await _server.StartAsync();
        _logger.LogInformation("Embedded MQTT broker listening on 127.0.0.1:{Port} for {Devices} devices", Port, _passwords.Count);
    }

    public async Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        MqttServer server = _server ?? throw new InvalidOperationException("broker not started");
        MqttApplicationMessage message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = InternalClientId }, cancellationToken);
    }

    private Task ValidateConnection(ValidatingConnectionEventArgs e)
    {
        string user = e.UserName ?? "";
        byte[] given = Encoding.ASCII.GetBytes(e.Password ?? "");
        if (!_passwords.TryGetValue(user, out byte[]? expected) || !CryptographicOperations.FixedTimeEquals(given, expected))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            _logger.LogWarning("MQTT login refused for user {User} (unknown device or wrong password)", Topics.IsValidDeviceId(user) ? user : "(invalid id)");
            return Task.CompletedTask;
        }

        e.SessionItems[DeviceItem] = user;
        if (string.IsNullOrEmpty(e.ClientId))
        {
            // MQTT 5 lets a client leave its id to the server (mosquitto_pub -V 5 does).
            e.AssignedClientIdentifier = user + "-" + Guid.NewGuid().ToString("N")[..8];
        }

        return Task.CompletedTask;
    }

    private Task InterceptPublish(InterceptingPublishEventArgs e)
    {
        string? device = e.SessionItems?[DeviceItem] as string;
        string topic = e.ApplicationMessage.Topic;
        if (device is null)
        {
            // The ingest's own messages (acks, cfg, deny) and the broker's: let them through.
            return Task.CompletedTask;
        }

        bool parsed = Topics.TryParse(topic, out TopicKind kind, out string topicDevice);
        bool own = parsed && topicDevice == device;
        if (parsed && kind == TopicKind.Events)
        {
            e.ProcessPublish = false;
            byte[] payload = e.ApplicationMessage.Payload.ToArray();
            if (!own)
            {
                _pipeline.QuarantineForeignPublish(device, topic, payload);
                e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
                return Task.CompletedTask;
            }

            return ProcessEvents(e, topic, payload);
        }

        if (own && kind == TopicKind.Status)
        {
            _pipeline.OnStatus(topic, e.ApplicationMessage.Payload.ToArray());
            return Task.CompletedTask;
        }

        e.ProcessPublish = false;
        e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
        return Task.CompletedTask;
    }

    private async Task ProcessEvents(InterceptingPublishEventArgs e, string topic, byte[] payload)
    {
        string? mac = e.ApplicationMessage.UserProperties?.FirstOrDefault(p => p.Name == DeviceAuth.MacProperty)?.ReadValueAsString();
        try
        {
            BatchOutcome outcome = await _pipeline.ProcessBatchAsync(topic, payload, mac);
            if (outcome.Ack is { } ack)
            {
                await PublishAsync(Topics.Ack(outcome.Device), ContractJson.Serialize(ack), retain: false, e.CancellationToken);
            }
            else
            {
                e.Response.ReasonCode = MqttPubAckReasonCode.PayloadFormatInvalid;
                e.Response.ReasonString = Truncate(outcome.RejectedReason);
            }
        }
        catch (Exception ex)
        {
            // Not committed: no PUBACK success, the device keeps the batch and sends it again.
            _logger.LogError(ex, "Batch on {Topic} could not be processed; the device will redeliver it", topic);
            e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
        }
    }

    private static string? Truncate(string? s) => s is null || s.Length <= 200 ? s : s[..200];

    private Task InterceptSubscription(InterceptingSubscriptionEventArgs e)
    {
        string? device = e.SessionItems?[DeviceItem] as string;
        string filter = e.TopicFilter.Topic;
        bool allowed = device is not null &&
            (filter == Topics.Deny || filter == Topics.Ack(device) || filter == Topics.Config(device));
        if (!allowed)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        }

        return Task.CompletedTask;
    }

    private Task LoadRetained(LoadingRetainedMessagesEventArgs e)
    {
        e.LoadedRetainedMessages = _store.RetainedMessages()
            .Select(r => new MqttApplicationMessageBuilder().WithTopic(r.Topic).WithPayload(r.Payload).WithRetainFlag()
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build())
            .ToList();
        foreach (MqttApplicationMessage m in e.LoadedRetainedMessages)
        {
            _pipeline.OnStatus(m.Topic, m.Payload.ToArray());
        }

        return Task.CompletedTask;
    }

    private Task RetainedChanged(RetainedMessageChangedEventArgs e)
    {
        MqttApplicationMessage m = e.ChangedRetainedMessage;
        _store.PutRetained(new RetainedRecord(m.Topic, m.Payload.ToArray()));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            _server.Dispose();
            _server = null;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
