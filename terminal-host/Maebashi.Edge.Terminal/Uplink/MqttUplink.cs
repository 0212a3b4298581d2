using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// Store-and-forward to the cloud over MQTT 5: publishes the ledger's unacknowledged entries as
/// <c>evt</c> batches, oldest first, each signed with the <c>mac</c> user property; keeps every entry
/// until the ingest's <c>ack</c> covers it (a broker's PUBACK is not enough, docs/contract.md §8) and sends
/// a batch again when its ack does not come, with a growing timeout, and soon when the broker answers that
/// nobody received it (PUBACK 16). Receives the retained <c>cfg</c> and the deny list, and keeps a retained
/// <c>status</c> with a last will of offline. Runs beside the tap pipeline: it reads the ledger, it never
/// holds a tap up. Its timeouts and intervals run on the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>),
/// never on the wall clock, which a terminal without a real-time clock may see step back or stand still.
/// </summary>
public sealed class MqttUplink : IAsyncDisposable
{
    /// <summary>The ingest rejects bigger batches whole (docs/contract.md §5).</summary>
    public const int MaxBatchBytes = 256 * 1024;

    private readonly TerminalOptions _options;
    private readonly byte[] _deviceKey;
    private readonly string _password;
    private readonly TapLedger _ledger;
    private readonly CloudState _cloud;
    private readonly Func<string, DeviceStatus> _status;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly long _epoch;
    private readonly IMqttClient _client;
    private readonly AsyncSignal _wake = new();
    private readonly InFlightBatches _inflight;
    private readonly LedgerMaintenance _maintenance;
    private readonly StatusSchedule _statusSchedule;
    private readonly Func<bool> _moving;

    public MqttUplink(TerminalOptions options, byte[] deviceKey, string password, TapLedger ledger, CloudState cloud,
        Func<string, DeviceStatus> status, TimeProvider? time = null, ILogger? log = null, Gps.GpsTracker? gps = null)
    {
        _options = options;
        _deviceKey = deviceKey;
        _password = password;
        _ledger = ledger;
        _cloud = cloud;
        _status = status;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _epoch = _time.GetTimestamp();
        _statusSchedule = new StatusSchedule(options.Uplink);
        _moving = gps is null ? static () => false : () => gps.Moving;
        if (gps is not null)
        {
            // Moving or parked changes how often the status goes: the session loop looks again.
            gps.MovingChanged += _wake.Set;
        }

        _inflight = new InFlightBatches(ledger, options.Uplink);
        _maintenance = new LedgerMaintenance(ledger, options.Uplink, _log);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += _ =>
        {
            _wake.Set();
            return Task.CompletedTask;
        };
        _ledger.Appended += _wake.Set;
        _cloud.Changed += _wake.Set;
    }

    public bool IsConnected => _client.IsConnected;

    /// <summary>
    /// How long a publish may wait for its PUBACK. MQTTnet can register a PUBACK waiter on a connection that has
    /// just dropped, and such a waiter is never completed: unbounded, the session would wait on it for good.
    /// A connection that answers nothing for a keep-alive plus a connect timeout is dead anyway.
    /// </summary>
    internal TimeSpan PublishTimeout => _options.Broker.KeepAlive + _options.Broker.ConnectTimeout;

    /// <summary>Time on the monotonic clock since the uplink was made: what its deadlines are measured in.</summary>
    private TimeSpan Now => _time.GetElapsedTime(_epoch);

    public long BatchesPublished => Interlocked.Read(ref _batchesPublished);
    public long BatchesResent => Interlocked.Read(ref _batchesResent);
    public long AcksApplied => Interlocked.Read(ref _acksApplied);
    public long MessagesIgnored => Interlocked.Read(ref _messagesIgnored);

    private long _batchesPublished;
    private long _batchesResent;
    private long _acksApplied;
    private long _messagesIgnored;

    /// <summary>Raised after an ack was applied (tests and the demo wait on it).</summary>
    public event Action? AckApplied;

    /// <summary>Raised when a cfg, deny or ack message was ignored, with the reason.</summary>
    public event Action<string, string>? MessageIgnored;

    /// <summary>Connects, keeps the session and drains the ledger until cancelled, reconnecting with backoff.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        TimeSpan delay = _options.Broker.ReconnectMin;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ConnectAsync(ct);
                delay = _options.Broker.ReconnectMin;
                await SessionAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _log.LogWarning("Broker {Host}:{Port} unavailable ({Error}); {Backlog} entries wait in the ledger",
                    _options.Broker.Host, _options.Broker.Port, e.Message, _ledger.Backlog);
            }

            if (_client.IsConnected)
            {
                // The session failed while the connection stayed up: close it, or every later ConnectAsync
                // throws "not allowed to connect … after the connection is established" and the uplink is stuck.
                try
                {
                    await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.UnspecifiedError).Build(), CancellationToken.None);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _log.LogDebug("Disconnect after a failed session: {Error}", e.Message);
                }
            }

            // After a reconnect every unacknowledged entry is sent again; the ingest de-duplicates.
            _inflight.Clear();

            try
            {
                await Task.Delay(delay, _time, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.Broker.ReconnectMax.Ticks));
        }

        await GoOfflineAsync();
    }

    internal MqttClientOptions BuildClientOptions()
    {
        BrokerOptions b = _options.Broker;
        var offline = _status("offline");
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(b.Host, b.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(_options.DeviceId)
            .WithCredentials(_options.DeviceId, _password)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)b.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(b.KeepAlive)
            .WithTimeout(b.ConnectTimeout)
            .WithWillTopic(Topics.Status(_options.DeviceId))
            .WithWillPayload(ContractJson.Serialize(offline))
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (b.Tls)
        {
            builder.WithTlsOptions(tls => BrokerTls.Configure(tls, _options, _time,
                problem => _log.LogWarning("TLS to the broker {Host}:{Port} refused: {Problem}", b.Host, b.Port, problem)));
        }

        return builder.Build();
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        MqttClientConnectResult result = await _client.ConnectAsync(BuildClientOptions(), ct);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"broker refused the connection: {result.ResultCode}");
        }

        _log.LogInformation("Connected to broker {Host}:{Port} as {Device} (session present: {Session})",
            _options.Broker.Host, _options.Broker.Port, _options.DeviceId, result.IsSessionPresent);
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.Ack(_options.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.Config(_options.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.Deny, MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        MqttClientSubscribeResult sub = await _client.SubscribeAsync(subscribe, ct);
        foreach (var item in sub.Items)
        {
            if ((int)item.ResultCode > 2)
            {
                _log.LogError("Subscription to {Topic} refused: {Code}", item.TopicFilter.Topic, item.ResultCode);
            }
        }

        await PublishStatusAsync(ct);
    }

    private async Task SessionAsync(CancellationToken ct)
    {
        _maintenance.Start(Now);
        while (_client.IsConnected)
        {
            ct.ThrowIfCancellationRequested();
            TimeSpan now = Now;
            await ResendExpiredAsync(now, ct);
            await PublishNewAsync(now, ct);

            bool moving = _moving();
            if (_statusSchedule.Due(now, _ledger.Backlog, _ledger.DiskFull, moving))
            {
                await PublishStatusAsync(ct);
            }

            _maintenance.RunIfDue(now);

            TimeSpan wakeAt = _inflight.NextDeadline(Min(_statusSchedule.NextDue(moving), _maintenance.NextDue));
            await _wake.WaitUntilAsync(wakeAt, () => Now, _time, ct);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task PublishNewAsync(TimeSpan now, CancellationToken ct)
    {
        while (_client.IsConnected)
        {
            if (_inflight.Open(now) is not (long id, List<ulong> seqs))
            {
                return;
            }

            await PublishBatchAsync(id, seqs, ct);
            Interlocked.Increment(ref _batchesPublished);
        }
    }

    private async Task ResendExpiredAsync(TimeSpan now, CancellationToken ct)
    {
        foreach ((long id, List<ulong> seqs) in _inflight.TakeExpired(now))
        {
            _log.LogInformation("No ack for batch of {Count} events from {First}: sending it again", seqs.Count, seqs[0]);
            await PublishBatchAsync(id, seqs, ct);
            Interlocked.Increment(ref _batchesResent);
        }
    }

    /// <summary>
    /// Publishes a batch. When the broker answers that no subscriber received it (PUBACK 16: the ingest is not
    /// subscribed, e.g. just after a broker restart that lost the ingest's shared subscription), the broker has
    /// dropped it: no ack can come, so the batch goes again after <see cref="UplinkOptions.UndeliveredRetry"/>
    /// (doubling while it stays undelivered), not after the ack timeout.
    /// </summary>
    private async Task PublishBatchAsync(long id, List<ulong> seqs, CancellationToken ct)
    {
        if (!await SendBatchAsync(seqs, ct))
        {
            return;
        }

        if (_inflight.Undelivered(id, Now) is { } retry)
        {
            _log.LogWarning("Batch of {Count} events from {First} reached no subscriber (the ingest is not subscribed); sending it again in {Retry}",
                seqs.Count, seqs[0], retry);
        }
    }

    /// <summary>Publishes the events (in halves when too big); true when the broker said nobody received (part of) them.</summary>
    private async Task<bool> SendBatchAsync(List<ulong> seqs, CancellationToken ct)
    {
        List<string> events = _ledger.ReadJson(seqs);
        byte[] payload = EventBatchWriter.Write(_options.DeviceId, events);
        if (payload.Length > MaxBatchBytes && events.Count > 1)
        {
            // Split in halves: each half is its own batch with its own MAC.
            int half = seqs.Count / 2;
            bool first = await SendBatchAsync(seqs[..half], ct);
            bool second = await SendBatchAsync(seqs[half..], ct);
            return first || second;
        }

        MqttClientPublishResult result = await PublishBoundedAsync(BatchMessage(payload), ct);
        _log.LogDebug("Batch of {Count} events from {First} published: {Reason}", seqs.Count, seqs[0], result.ReasonCode);
        if (result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            return true;
        }

        if (!result.IsSuccess)
        {
            _log.LogWarning("Broker did not take the batch of {Count} events from {First} ({Reason}); it is sent again after the ack timeout",
                seqs.Count, seqs[0], result.ReasonCode);
        }

        return false;
    }

    /// <summary>An <c>evt</c> batch as published: the payload with its MAC.</summary>
    private MqttApplicationMessage BatchMessage(byte[] payload) => new MqttApplicationMessageBuilder()
        .WithTopic(Topics.Events(_options.DeviceId))
        .WithPayload(payload)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithContentType("application/json")
        .WithUserProperty(DeviceAuth.MacProperty, System.Text.Encoding.ASCII.GetBytes(DeviceAuth.ComputeMac(_deviceKey, payload)).AsMemory())
        .Build();

    /// <summary>
    /// Runs, before the first tap, the uplink's code that is compiled on first use: the messages' JSON (a batch, the
    /// status, and the ack, cfg and deny list as they arrive), the MAC and the message builder. The generic code System.Text.Json
    /// runs for the messages' number and time fields is outside ReadyToRun's version bubble, so without this ~300 methods are
    /// compiled when a backlog starts to drain, on the cores the first taps need (docs/benchmarks.md). Nothing is sent.
    /// </summary>
    internal void WarmUp()
    {
        DateTimeOffset now = _time.GetUtcNow();
        byte[] batch = EventBatchWriter.Write(_options.DeviceId, [TerminalJson.Serialize(UplinkWarmUp.SampleTap(now))]);
        _ = BatchMessage(batch);
        _ = ContractJson.Serialize(_status("online"));
        _ = ContractJson.ParseAck(ContractJson.Serialize(UplinkWarmUp.SampleAck()));
        _ = ContractJson.ParseConfig(ContractJson.Serialize(UplinkWarmUp.SampleConfig(_options.DeviceId, _options.Role)));
        _ = ContractJson.ParseDeny(ContractJson.Serialize(new DenyList { Version = 0, Tokens = ["-"] }));
    }

    /// <summary>
    /// A publish bounded by <see cref="PublishTimeout"/> (on the injected clock). The caller's token is checked before
    /// the publish, not passed into it: MQTTnet drops the connection when a publish is cancelled part-way, and a
    /// terminal being stopped would then have no connection left to say it is offline on (its status stayed
    /// "online", retained, found by the status test).
    /// </summary>
    private async Task<MqttClientPublishResult> PublishBoundedAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var timeout = new CancellationTokenSource(PublishTimeout, _time);
        try
        {
            return await _client.PublishAsync(message, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"no PUBACK for a publish on {message.Topic} within {PublishTimeout}");
        }
    }

    public async Task PublishStatusAsync(CancellationToken ct)
    {
        if (!_client.IsConnected)
        {
            return;
        }

        DeviceStatus status = _status(_ledger.DiskFull ? "degraded" : "online");
        _statusSchedule.Published(Now, status.Backlog, status.DiskFull ?? false);
        await PublishBoundedAsync(new MqttApplicationMessageBuilder()
            .WithTopic(Topics.Status(_options.DeviceId))
            .WithPayload(ContractJson.Serialize(status))
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), ct);
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        string topic = e.ApplicationMessage.Topic;
        byte[] payload = e.ApplicationMessage.Payload.ToArray();
        try
        {
            if (topic == Topics.Ack(_options.DeviceId))
            {
                OnAck(payload);
            }
            else if (topic == Topics.Config(_options.DeviceId))
            {
                if (_cloud.ApplyConfig(payload) is { } why)
                {
                    Ignored("cfg", why);
                }
            }
            else if (topic == Topics.Deny)
            {
                if (_cloud.ApplyDeny(payload) is { } why)
                {
                    Ignored("deny", why);
                }
            }
        }
        catch (Exception x)
        {
            // Never let one message take the uplink down.
            _log.LogError("Message on {Topic} could not be handled: {Error}", topic, x.Message);
        }

        return Task.CompletedTask;
    }

    private void Ignored(string what, string why)
    {
        Interlocked.Increment(ref _messagesIgnored);
        MessageIgnored?.Invoke(what, why);
    }

    /// <summary>
    /// Applies an ack. A seq listed in <c>results</c> is settled. <c>upTo</c> settles the entries of
    /// batches the ingest has answered (one of their seqs is in the results): a whole batch is read
    /// or rejected together, so the ingest has the rest of it. upTo alone does not settle a batch
    /// the ingest may never have received (a broker drops queued messages silently, docs/contract.md §8).
    /// </summary>
    internal void OnAck(byte[] payload)
    {
        Ack ack;
        try
        {
            ack = ContractJson.ParseAck(payload);
        }
        catch (ContractFormatException x)
        {
            _log.LogWarning("Ignored an ack message: {Problem}", x.Message);
            Ignored("ack", x.Message);
            return;
        }

        List<ulong> settled = _inflight.Settled([.. ack.Results.Select(r => r.Seq)], ack.UpTo);

        foreach (EventResult r in ack.Results.Where(r => r.Status == ResultStatus.Rejected))
        {
            _log.LogWarning("Ingest rejected event {Seq}: {Reason}", r.Seq, r.Reason);
        }

        int applied = _ledger.MarkAcked(settled);
        _inflight.DropAcknowledged();

        Interlocked.Add(ref _acksApplied, applied);
        _wake.Set();
        AckApplied?.Invoke();
    }

    private async Task GoOfflineAsync()
    {
        if (!_client.IsConnected)
        {
            return;
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(Topics.Status(_options.DeviceId))
                .WithPayload(ContractJson.Serialize(_status("offline")))
                .WithRetainFlag(true)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(), cts.Token);
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), cts.Token);
        }
        catch (Exception e)
        {
            _log.LogDebug("Clean disconnect failed: {Error}", e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ledger.Appended -= _wake.Set;
        _cloud.Changed -= _wake.Set;
        await GoOfflineAsync();
        _client.Dispose();
    }
}
