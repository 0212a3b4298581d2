using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Mqtt;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// The ingest's MQTT side: the embedded broker, or a client of an external one (<c>--broker</c>). At start it
/// publishes each device's configuration and the deny list (retained), and then every newer deny list.
/// </summary>
/// <remarks>
/// Each retained topic is published through the store's <see cref="ISharedState.PublishInOrderAsync"/>: with several
/// workers, a worker never publishes a deny list or a cfg older than one another worker's broker publish already holds.
/// </remarks>
public sealed class BrokerService(
    IOptions<IngestOptions> options,
    IngestPipeline pipeline,
    IIngestStore store,
    TimeProvider time,
    ILogger<BrokerService> logger) : IHostedService, IAsyncDisposable
{
    private EmbeddedBroker? _embedded;
    private ExternalBrokerClient? _external;

    // Each device's cfg as published at start, to publish again after a reconnect.
    private (string Topic, VersionedPayload Cfg)[] _configs = [];

    // Deny-list changes not yet covered by a publish: one publish of the latest list covers all that came before it.
    private int _denyRequests;

    /// <summary>The embedded broker's port, or the external broker's.</summary>
    public int Port => _embedded?.Port ?? _external?.Port ?? 0;

    public IMqttPublisher Publisher => (IMqttPublisher?)_embedded ?? _external ?? throw new InvalidOperationException("the broker has not started");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IngestOptions o = options.Value;
        if (o.Broker is { } broker)
        {
            // A stable client id per worker, so a restart resumes the broker's persistent session.
            string clientId = "maebashi-ingest-" + o.WorkerId;
            ExternalBrokerTls? tls = broker.Scheme == "mqtts" ? new ExternalBrokerTls(o.BrokerCaFile, o.BrokerClientCertFile, o.BrokerClientKeyFile) : null;
            _external = new ExternalBrokerClient(pipeline, logger, time, broker.Host, o.BrokerPort, o.BrokerUser ?? "", o.BrokerPassword ?? "", clientId, tls);
            _external.Reconnected += OnReconnected;
            await _external.StartAsync(cancellationToken);
        }
        else
        {
            _embedded = new EmbeddedBroker(pipeline, store, logger, o.MqttPort);
            await _embedded.StartAsync();
        }

        pipeline.DenyListChanged += OnDenyListChanged;
        _configs = [.. DeviceConfigs.Build(pipeline.Registry, store).Select(c => (c.Topic, new VersionedPayload(ContractJson.ParseConfig(c.Payload).Version, c.Payload)))];
        await PublishConfigsAsync(cancellationToken);
        await PublishDenyAsync();
    }

    private async Task PublishConfigsAsync(CancellationToken cancellationToken)
    {
        foreach ((string topic, VersionedPayload cfg) in _configs)
        {
            if (!await store.PublishInOrderAsync(topic, () => cfg, (p, ct) => Publisher.PublishAsync(topic, p, retain: true, ct), cancellationToken))
            {
                logger.LogWarning("{Topic}: a newer version than {Version} was published by another worker (is its registry newer?); not published", topic, cfg.Version);
            }
        }
    }

    // Back on the broker: the retained messages again (the same versions, or the deny list's latest), apart from the client's loop.
    private void OnReconnected() => _ = Task.Run(async () =>
    {
        try
        {
            await PublishConfigsAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Publishing the devices' configurations again after reconnecting failed");
        }

        await PublishDenyAsync();
    });

    // Raised under the pipeline's lock: the publish runs apart from it, since building the list takes that lock again.
    private void OnDenyListChanged(DenyList list)
    {
        if (Interlocked.Increment(ref _denyRequests) == 1)
        {
            _ = Task.Run(PublishDenyChangesAsync);
        }
    }

    private async Task PublishDenyChangesAsync()
    {
        int covered;
        do
        {
            covered = Volatile.Read(ref _denyRequests);
            await PublishDenyAsync();
        }
        while (Interlocked.Add(ref _denyRequests, -covered) > 0);
    }

    // The list of the store's latest version, published under the store's lock for the topic: deny lists reach the
    // broker in version order, whichever worker publishes them, and an older one is skipped.
    private async Task PublishDenyAsync()
    {
        long version = 0;
        try
        {
            await store.PublishInOrderAsync(
                Topics.Deny,
                () =>
                {
                    DenyList list = pipeline.CurrentDenyList();
                    version = list.Version;
                    return new VersionedPayload(list.Version, ContractJson.Serialize(list));
                },
                (payload, ct) => Publisher.PublishAsync(Topics.Deny, payload, retain: true, ct),
                CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Publishing deny list version {Version} failed", version);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        pipeline.DenyListChanged -= OnDenyListChanged;
        await CloseAsync();
    }

    private async Task CloseAsync()
    {
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
            _embedded = null;
        }

        if (_external is not null)
        {
            await _external.DisposeAsync();
            _external = null;
        }
    }

    /// <summary>Closes the broker when the start failed after it was opened (StopAsync is not called then).</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
    }
}
