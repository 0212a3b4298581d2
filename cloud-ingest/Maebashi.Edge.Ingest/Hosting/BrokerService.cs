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
public sealed class BrokerService(
    IOptions<IngestOptions> options,
    IngestPipeline pipeline,
    IIngestStore store,
    TimeProvider time,
    ILogger<BrokerService> logger) : IHostedService, IAsyncDisposable
{
    private readonly SemaphoreSlim _denyPublish = new(1, 1);
    private EmbeddedBroker? _embedded;
    private ExternalBrokerClient? _external;
    private long _publishedDenyVersion;

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
            await _external.StartAsync(cancellationToken);
        }
        else
        {
            _embedded = new EmbeddedBroker(pipeline, store, logger, o.MqttPort);
            await _embedded.StartAsync();
        }

        pipeline.DenyListChanged += OnDenyListChanged;
        foreach ((string topic, byte[] payload) in DeviceConfigs.Build(pipeline.Registry, store))
        {
            await Publisher.PublishAsync(topic, payload, retain: true, cancellationToken);
        }

        await PublishDenyAsync(pipeline.CurrentDenyList());
    }

    private void OnDenyListChanged(DenyList list) => _ = PublishDenyAsync(list);

    // Deny lists are published in version order; an older one arriving late is skipped.
    private async Task PublishDenyAsync(DenyList list)
    {
        await _denyPublish.WaitAsync();
        try
        {
            if (list.Version <= _publishedDenyVersion)
            {
                return;
            }

            await Publisher.PublishAsync(Topics.Deny, ContractJson.Serialize(list), retain: true, CancellationToken.None);
            _publishedDenyVersion = list.Version;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Publishing deny list version {Version} failed", list.Version);
        }
        finally
        {
            _denyPublish.Release();
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
        _denyPublish.Dispose();
    }
}
