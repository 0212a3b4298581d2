using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Mqtt;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest;

/// <summary>What <c>maebashi-edge ingest run</c> is given.</summary>
public sealed class IngestOptions
{
    public required string RegistryPath { get; init; }

    /// <summary>Where the store, the audit log and retained messages live; a fresh temp directory when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Port of the embedded broker; 0 picks a free one.</summary>
    public int MqttPort { get; init; } = 1883;

    /// <summary>Port of the HTTP API; 0 picks a free one.</summary>
    public int HttpPort { get; init; } = 8080;

    public string? OperatorsPath { get; init; }

    /// <summary>An external broker (mqtt://host:port) instead of the embedded one.</summary>
    public Uri? Broker { get; init; }

    public string? BrokerUser { get; init; }

    public string? BrokerPassword { get; init; }

    /// <summary>How often the clock closes trips left open past board + 180 minutes.</summary>
    public TimeSpan CloseInterval { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>The running ingest: store, pipeline, broker (embedded or client), HTTP API, clock.</summary>
public sealed class IngestHost : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LiteDbIngestStore _store;
    private readonly AuditLog _audit;
    private readonly SemaphoreSlim _denyPublish = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private EmbeddedBroker? _embedded;
    private ExternalBrokerClient? _external;
    private HttpApi? _http;
    private Task? _clock;
    private long _publishedDenyVersion;

    private IngestHost(ILogger logger, TimeProvider time, LiteDbIngestStore store, AuditLog audit, IngestPipeline pipeline, string dataDirectory)
    {
        _logger = logger;
        _time = time;
        _store = store;
        _audit = audit;
        Pipeline = pipeline;
        DataDirectory = dataDirectory;
    }

    public IngestPipeline Pipeline { get; }

    public string DataDirectory { get; }

    public int MqttPort => _embedded?.Port ?? _external?.Port ?? 0;

    public int HttpPort => _http?.Port ?? 0;

    /// <summary>The admin token made at start when no operators file was given.</summary>
    public string? GeneratedAdminToken { get; private set; }

    public IMqttPublisher Publisher => (IMqttPublisher?)_embedded ?? _external!;

    public static async Task<IngestHost> StartAsync(IngestOptions options, ILoggerFactory loggers, TimeProvider time, CancellationToken cancellationToken)
    {
        ILogger logger = loggers.CreateLogger("Maebashi.Edge.Ingest");
        var sw = Stopwatch.StartNew();
        CityRegistry registry = RegistryLoader.Load(options.RegistryPath);
        logger.LogInformation("Registry loaded in {Millis} ms: {Persons} persons, {Cards} cards, {Devices} devices",
            sw.ElapsedMilliseconds, registry.PersonCount, registry.CardCount, registry.Devices.Count());

        IReadOnlyList<Operator> operators;
        string? adminToken = null;
        if (options.OperatorsPath is { } opsPath)
        {
            operators = OperatorsFile.Load(opsPath, registry);
        }
        else
        {
            Operator admin = OperatorsFile.GenerateAdmin();
            operators = [admin];
            adminToken = admin.Token;
        }

        string data = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "maebashi-ingest-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(data);
        var store = new LiteDbIngestStore(data);
        var audit = new AuditLog(Path.Combine(data, "audit.jsonl"), time);
        var metrics = new IngestMetrics(time);
        var pipeline = new IngestPipeline(registry, store, time, metrics, logger);
        var host = new IngestHost(logger, time, store, audit, pipeline, data) { GeneratedAdminToken = adminToken };
        try
        {
            await host.StartServicesAsync(options, operators, cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private async Task StartServicesAsync(IngestOptions options, IReadOnlyList<Operator> operators, CancellationToken ct)
    {
        if (options.Broker is { } broker)
        {
            if (broker.Scheme != "mqtt" || broker.Port <= 0)
            {
                throw new ArgumentException($"--broker: expected mqtt://HOST:PORT, got '{broker}'");
            }

            // A stable client id per data directory, so a restart resumes the broker's persistent session.
            string clientId = "maebashi-ingest-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(DataDirectory))))[..12];
            _external = new ExternalBrokerClient(Pipeline, _logger, _time, broker.Host, broker.Port, options.BrokerUser ?? "", options.BrokerPassword ?? "", clientId);
            await _external.StartAsync(ct);
        }
        else
        {
            _embedded = new EmbeddedBroker(Pipeline, _store, _logger, options.MqttPort);
            await _embedded.StartAsync();
        }

        Pipeline.DenyListChanged += list => _ = PublishDenyAsync(list);
        foreach ((string topic, byte[] payload) in DeviceConfigs.Build(Pipeline.Registry, _store))
        {
            await Publisher.PublishAsync(topic, payload, retain: true, ct);
        }

        await PublishDenyAsync(Pipeline.CurrentDenyList());

        _http = new HttpApi(Pipeline, operators, _audit, _time, _logger);
        await _http.StartAsync(options.HttpPort, ct);

        // Trips left open past board + 180 min close by the clock, and restart catches up at once.
        Pipeline.CloseDueTrips();
        _clock = Task.Run(() => ClockLoopAsync(options.CloseInterval), CancellationToken.None);
    }

    private async Task ClockLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    int n = Pipeline.CloseDueTrips();
                    if (n > 0)
                    {
                        _logger.LogInformation("Clock re-evaluated {Persons} persons with trips open past board + 180 min", n);
                    }
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Closing trips by the clock failed; retrying at the next tick");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

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
            _logger.LogError(e, "Publishing deny list version {Version} failed", list.Version);
        }
        finally
        {
            _denyPublish.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_clock is not null)
        {
            await _clock;
        }

        if (_http is not null)
        {
            await _http.DisposeAsync();
        }

        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }

        if (_external is not null)
        {
            await _external.DisposeAsync();
        }

        _audit.Dispose();
        _store.Dispose();
        _stopping.Dispose();
        _denyPublish.Dispose();
    }
}
