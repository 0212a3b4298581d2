using System.Buffers;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Maebashi.Edge.Ingest.Mqtt;

/// <summary>
/// The ingest as a client of an external MQTT 5 broker (Mosquitto first): a persistent session (clean start
/// off, session expiry) and the shared subscription <c>$share/ingest/maebashi/v1/dev/+/evt</c> at QoS 1, so
/// several ingest processes split the devices' batches. Intake is pipelined: the receive handler hands each
/// batch to the pipeline and returns, so up to <see cref="MaxInFlight"/> batches wait in one group commit
/// together; each batch's PUBACK is sent by hand once its own commit is durable (and its ack published). A batch
/// left unacknowledged by a crash is delivered again — at most the batches in flight, so a restart after a
/// kill in the middle of a drain brings no storm of redeliveries.
/// </summary>
public sealed class ExternalBrokerClient : IMqttPublisher, IAsyncDisposable
{
    public const string ShareGroup = "ingest";

    /// <summary>How long the broker keeps the session (and queues batches) while the ingest is away.</summary>
    public static readonly TimeSpan SessionExpiry = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a publish waits for its PUBACK. MQTTnet can register the PUBACK waiter after a dropped
    /// connection has already failed the others, and such a waiter is never completed; without a bound the
    /// receive handler awaiting it never returns, the client's disconnect waits on that handler forever and
    /// the client can neither reconnect properly nor publish an ack again.
    /// </summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Batches received and not yet acknowledged, at most: the client's MQTT receive maximum, so the broker sends
    /// no more, and the bound of what a crash leaves for redelivery (16 batches of ≤ 256 KiB: ≤ 4 MiB held).
    /// </summary>
    public const int MaxInFlight = 16;

    private readonly IngestPipeline _pipeline;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MqttClientOptions _options;
    private readonly IMqttClient _client;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _reconnectLoop;

    // Batches handed to the pipeline whose PUBACK is not sent yet; the handler waits for a slot (back-pressure).
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    /// <summary>
    /// Raised after the connection was lost and made again: the broker may have restarted without the retained messages
    /// published since its last save, and a change made while it was away was not published.
    /// </summary>
    public event Action? Reconnected;

    public ExternalBrokerClient(IngestPipeline pipeline, ILogger logger, TimeProvider time, string host, int port, string user, string password, string clientId,
        ExternalBrokerTls? tls = null)
    {
        _pipeline = pipeline;
        _logger = logger;
        _time = time;
        Host = host;
        Port = port;
        MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCredentials(user, password)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithReceiveMaximum(MaxInFlight);
        if (tls is not null)
        {
            builder.WithTlsOptions(t => tls.Configure(t, host, time, problem => LastTlsProblem = problem));
        }

        _options = builder.Build();
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessage;
    }

    public string Host { get; }

    /// <summary>Why the broker's certificate was last refused (named in the start failure), or null.</summary>
    public string? LastTlsProblem { get; private set; }

    public int Port { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ConnectAndSubscribeAsync(cancellationToken);
        _reconnectLoop = Task.Run(KeepConnectedAsync, CancellationToken.None);
    }

    private async Task ConnectAndSubscribeAsync(CancellationToken ct)
    {
        MqttClientConnectResult result;
        try
        {
            result = await _client.ConnectAsync(_options, ct);
        }
        catch (MqttCommunicationException e) when (LastTlsProblem is { } problem)
        {
            throw new InvalidOperationException($"TLS to the broker {Host}:{Port} refused: {problem}", e);
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"broker {Host}:{Port} refused the ingest's login: {result.ResultCode}");
        }

        // Subscribing again on a resumed session is harmless and covers a session the broker dropped.
        MqttClientSubscribeOptions subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(Topics.Shared(ShareGroup, Topics.AllEvents)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .WithTopicFilter(f => f.WithTopic(Topics.AllStatus).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
            .Build();
        MqttClientSubscribeResult sub = await _client.SubscribeAsync(subscribe, ct);
        foreach (MqttClientSubscribeResultItem item in sub.Items)
        {
            if ((int)item.ResultCode > 2)
            {
                throw new InvalidOperationException($"broker refused the subscription to {item.TopicFilter.Topic}: {item.ResultCode}");
            }
        }

        _logger.LogInformation("Connected to MQTT broker {Host}:{Port} (session present: {SessionPresent}), shared subscription {Filter}",
            Host, Port, result.IsSessionPresent, Topics.Shared(ShareGroup, Topics.AllEvents));
    }

    private async Task KeepConnectedAsync()
    {
        CancellationToken ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct);
                if (!_client.IsConnected)
                {
                    _logger.LogWarning("MQTT broker {Host}:{Port} connection lost; reconnecting", Host, Port);
                    await ConnectAndSubscribeAsync(ct);
                    Reconnected?.Invoke();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning("Reconnecting to MQTT broker {Host}:{Port} failed: {Error}", Host, Port, e.Message);
            }
        }
    }

    private async Task OnMessage(MqttApplicationMessageReceivedEventArgs e)
    {
        MqttApplicationMessage m = e.ApplicationMessage;
        if (!Topics.TryParse(m.Topic, out TopicKind kind, out _))
        {
            return;
        }

        if (kind == TopicKind.Status)
        {
            _pipeline.OnStatus(m.Topic, m.Payload.ToArray());
            return;
        }

        if (kind != TopicKind.Events)
        {
            return;
        }

        string? mac = m.UserProperties?.FirstOrDefault(p => p.Name == DeviceAuth.MacProperty)?.ReadValueAsString();
        // The PUBACK waits for the commit, but the next batch need not: it joins the same group commit.
        e.AutoAcknowledge = false;
        await _inFlight.WaitAsync(_stopping.Token);
        _ = ApplyAndAcknowledgeAsync(e, m.Topic, m.Payload.ToArray(), mac);
    }

    private async Task ApplyAndAcknowledgeAsync(MqttApplicationMessageReceivedEventArgs e, string topic, byte[] payload, string? mac)
    {
        try
        {
            BatchOutcome outcome;
            try
            {
                outcome = await _pipeline.ProcessBatchAsync(topic, payload, mac);
            }
            catch (Exception ex)
            {
                // Not committed: no PUBACK, so the broker delivers it again (here after a reconnect, or to another ingest).
                _logger.LogError(ex, "Batch on {Topic} could not be processed; leaving it to the broker to redeliver", topic);
                return;
            }

            if (outcome.Ack is { } ack)
            {
                try
                {
                    await PublishAsync(Topics.Ack(outcome.Device), ContractJson.Serialize(ack), retain: false, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // Committed, only the ack is lost: the device sends the batch again and gets it acked as duplicates.
                    _logger.LogWarning("Ack to {Device} not sent ({Error}); the device's resend will be acked", outcome.Device, ex.Message);
                }
            }

            try
            {
                await e.AcknowledgeAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                // The connection dropped after the commit: the broker delivers the batch again, and it is a duplicate.
                _logger.LogDebug("PUBACK for a batch on {Topic} not sent ({Error}); its redelivery will be a duplicate", topic, ex.Message);
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    public async Task PublishAsync(string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        MqttApplicationMessage message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        using var timeout = new CancellationTokenSource(PublishTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _stopping.Token);
        await _client.PublishAsync(message, linked.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_reconnectLoop is not null)
        {
            await _reconnectLoop;
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithSessionExpiryInterval((uint)SessionExpiry.TotalSeconds).Build());
        }

        _client.Dispose();
        // Batches still in flight finish their commit before the store closes (none will PUBACK now: the broker
        // delivers them again, as duplicates). Bounded, so a stuck store cannot hold the shutdown.
        using var drained = new CancellationTokenSource(PublishTimeout, _time);
        try
        {
            for (int i = 0; i < MaxInFlight; i++)
            {
                await _inFlight.WaitAsync(drained.Token);
            }
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Batches still in flight after {Timeout}; the broker delivers them again", PublishTimeout);
        }

        _stopping.Dispose();
    }
}
