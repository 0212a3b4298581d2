using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Options;

namespace Maebashi.Edge.Ingest;

/// <summary>What <c>run</c> is given (<c>maebashi-ingest run</c>, <c>./maebashi-edge ingest run</c>).</summary>
public sealed class IngestOptions
{
    /// <summary>
    /// The registry file (<c>--registry</c>). Required with LiteDB; with PostgreSQL the worker runs with the registry the
    /// database holds, and a file given here is imported first when it is not the one imported (Store/Postgres/PostgresRegistry.cs).
    /// </summary>
    public string? RegistryPath { get; set; }

    /// <summary>Where the store, the audit log and retained messages live; a fresh temp directory when null.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// The store (<c>--store</c>): <c>litedb</c> under <see cref="DataDirectory"/>, or a PostgreSQL database as a libpq URI
    /// <c>postgresql://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…]</c> (Hosting/IngestStoreOption.cs).
    /// </summary>
    public string Store { get; set; } = Hosting.IngestStoreOption.LiteDb;

    /// <summary>With a PostgreSQL store: an owner-only file holding the database password (<c>--store-pass-file</c>).</summary>
    public string? StorePassFile { get; set; }

    /// <summary>Port of the embedded broker; 0 picks a free one.</summary>
    public int MqttPort { get; set; } = 1883;

    /// <summary>Port of the HTTP API; 0 picks a free one.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>The address the API, console and My Page listen on: loopback unless told otherwise.</summary>
    public string HttpBind { get; set; } = "127.0.0.1";

    /// <summary>The server certificate (PEM) to serve HTTPS with; required off loopback unless behind a proxy.</summary>
    public string? HttpsCertFile { get; set; }

    /// <summary>The server certificate's private key (PEM).</summary>
    public string? HttpsKeyFile { get; set; }

    /// <summary>
    /// The address of the reverse proxy that terminates TLS in front of the ingest: its X-Forwarded-For and
    /// X-Forwarded-Proto are honoured, and no one else's.
    /// </summary>
    public string? BehindProxy { get; set; }

    internal bool Https => HttpsCertFile is not null;

    public string? OperatorsPath { get; set; }

    /// <summary>An external broker (mqtt://host:port, or mqtts://host:port over TLS) instead of the embedded one.</summary>
    public Uri? Broker { get; set; }

    /// <summary>With mqtts: the CA of the broker's certificate (PEM); the system's trusted CAs when null.</summary>
    public string? BrokerCaFile { get; set; }

    /// <summary>With mqtts: the ingest's client certificate (PEM, CN = its broker user), for a broker that requires one.</summary>
    public string? BrokerClientCertFile { get; set; }

    /// <summary>The client certificate's private key (PEM).</summary>
    public string? BrokerClientKeyFile { get; set; }

    /// <summary>The broker's port: the URI's, or MQTT's registered one for the scheme (1883, 8883 over TLS).</summary>
    internal int BrokerPort => Broker is null ? 0 : Broker.Port > 0 ? Broker.Port : Broker.Scheme == "mqtts" ? 8883 : 1883;

    public string? BrokerUser { get; set; }

    /// <summary>
    /// This ingest worker's stable, unique name (<c>--worker-id</c>; the host name by default): its MQTT client id on an
    /// external broker is <c>maebashi-ingest-{WorkerId}</c>, so a restart resumes the worker's persistent session. Two
    /// workers on one host need distinct ids (the broker would hand one session back and forth between them).
    /// </summary>
    public string WorkerId { get; set; } = DefaultWorkerId();

    /// <summary>The host name, as far as it is a valid worker id (letters, digits, '.', '_', '-').</summary>
    public static string DefaultWorkerId()
    {
        string host = new([.. Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')]);
        return host.Length == 0 ? "ingest" : host[..Math.Min(host.Length, MaxWorkerIdLength)];
    }

    public const int MaxWorkerIdLength = 64;

    public string? BrokerPassword { get; set; }

    /// <summary>
    /// The city's card master keys (<c>--card-keys</c>): <c>VERSION HEX</c> lines, owner-only. Required when the registry
    /// has <c>ntag424-sun</c> cards.
    /// </summary>
    public string? CardKeysFile { get; set; }

    /// <summary>
    /// The JPKI roots My Number cards' certificates must chain to (<c>--jpki-roots</c>, PEM, one or more). With
    /// <see cref="JpkiCrlFile"/>; without both, every tap of a <c>jpki</c> card is refused.
    /// </summary>
    public string? JpkiRootsFile { get; set; }

    /// <summary>The JPKI CRL (<c>--jpki-crl</c>, DER or PEM, signed by a root), read again whenever the file changes.</summary>
    public string? JpkiCrlFile { get; set; }

    /// <summary>How often the clock closes trips left open past board + 180 minutes.</summary>
    public TimeSpan CloseInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Most bytes of quarantine records one device (the authenticated publisher) may hold (<c>--quarantine-device-bytes</c>,
    /// 16 MiB); past it, its refusals are only counted (docs/ingest.md, "Quarantine").
    /// </summary>
    public long QuarantineDeviceBytes { get; set; } = QuarantineLimits.Default.DeviceBytes;

    /// <summary>Most bytes of quarantine records in all (<c>--quarantine-total-bytes</c>, 1 GiB).</summary>
    public long QuarantineTotalBytes { get; set; } = QuarantineLimits.Default.TotalBytes;

    /// <summary>Most bytes of a payload a quarantine record keeps (<c>--quarantine-payload-bytes</c>, 64 KiB); its hash and size are of the whole.</summary>
    public int QuarantinePayloadBytes { get; set; } = QuarantineLimits.Default.PayloadBytes;

    /// <summary>How long a quarantine record is kept after it was first quarantined (<c>--quarantine-retention-days</c>, 90 days).</summary>
    public TimeSpan QuarantineRetention { get; set; } = QuarantineLimits.Default.Retention;

    /// <summary>How often records past the retention are purged (on the host's clock).</summary>
    public TimeSpan QuarantinePurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest <see cref="QuarantinePurgeInterval"/>: a day is often enough for a retention counted in days (and a timer's period is under 50 days).</summary>
    internal static readonly TimeSpan MaxQuarantinePurgeInterval = TimeSpan.FromDays(1);

    /// <summary>Largest <see cref="QuarantinePayloadBytes"/>: four times the largest batch a device may send.</summary>
    internal const int MaxQuarantinePayloadBytes = 1 << 20;

    /// <summary>
    /// Years of service days whose raw taps are kept (<c>--tap-retention-years</c>, 7; <see cref="TapRetention"/>):
    /// older ones are purged once a day. Wallet entries, adjustments and audit records are never dropped.
    /// </summary>
    public int TapRetentionYears { get; set; } = TapRetention.DefaultYears;

    /// <summary>How often taps past the retention are purged (on the host's clock): taps are kept by whole days.</summary>
    public TimeSpan TapPurgeInterval { get; set; } = TimeSpan.FromDays(1);

    internal QuarantineLimits QuarantineLimits => new(QuarantineDeviceBytes, QuarantineTotalBytes, QuarantinePayloadBytes, QuarantineRetention);

    /// <summary>Copies every option (the options pattern builds its own instance and configures it).</summary>
    internal void CopyTo(IngestOptions target)
    {
        target.RegistryPath = RegistryPath;
        target.DataDirectory = DataDirectory;
        target.Store = Store;
        target.StorePassFile = StorePassFile;
        target.MqttPort = MqttPort;
        target.HttpPort = HttpPort;
        target.HttpBind = HttpBind;
        target.HttpsCertFile = HttpsCertFile;
        target.HttpsKeyFile = HttpsKeyFile;
        target.BehindProxy = BehindProxy;
        target.OperatorsPath = OperatorsPath;
        target.Broker = Broker;
        target.BrokerUser = BrokerUser;
        target.WorkerId = WorkerId;
        target.BrokerPassword = BrokerPassword;
        target.BrokerCaFile = BrokerCaFile;
        target.BrokerClientCertFile = BrokerClientCertFile;
        target.BrokerClientKeyFile = BrokerClientKeyFile;
        target.CardKeysFile = CardKeysFile;
        target.JpkiRootsFile = JpkiRootsFile;
        target.JpkiCrlFile = JpkiCrlFile;
        target.CloseInterval = CloseInterval;
        target.QuarantineDeviceBytes = QuarantineDeviceBytes;
        target.QuarantineTotalBytes = QuarantineTotalBytes;
        target.QuarantinePayloadBytes = QuarantinePayloadBytes;
        target.QuarantineRetention = QuarantineRetention;
        target.QuarantinePurgeInterval = QuarantinePurgeInterval;
        target.TapRetentionYears = TapRetentionYears;
        target.TapPurgeInterval = TapPurgeInterval;
    }
}

/// <summary>
/// Refuses options the ingest cannot run with, at start and before anything is opened, naming each option
/// both as the property and as <c>run</c>'s command-line option.
/// </summary>
public sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    private const int MaxPort = 65535;

    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var failures = new List<string>();
        if (options.RegistryPath is null ? Hosting.IngestStoreOption.IsLiteDb(options) : string.IsNullOrWhiteSpace(options.RegistryPath))
        {
            failures.Add("RegistryPath (--registry): missing (only a postgresql:// store may run without it, with the registry it holds)");
        }

        if (options.DataDirectory is { } data && string.IsNullOrWhiteSpace(data))
        {
            failures.Add("DataDirectory (--data): empty");
        }

        StoreProblems(options, failures);

        if (options.MqttPort is < 0 or > MaxPort)
        {
            failures.Add($"MqttPort (--mqtt-port): expected 0 to {MaxPort}, got {options.MqttPort}");
        }

        if (options.HttpPort is < 0 or > MaxPort)
        {
            failures.Add($"HttpPort (--http-port): expected 0 to {MaxPort}, got {options.HttpPort}");
        }

        HttpProblems(options, failures);

        if (options.OperatorsPath is { } ops && string.IsNullOrWhiteSpace(ops))
        {
            failures.Add("OperatorsPath (--operators): empty");
        }

        if (options.Broker is { } broker && (!broker.IsAbsoluteUri || broker.Scheme is not ("mqtt" or "mqtts") || string.IsNullOrEmpty(broker.Host)))
        {
            failures.Add($"Broker (--broker): expected mqtt://HOST:PORT or mqtts://HOST:PORT, got '{broker}'");
        }

        if (options.WorkerId.Length is 0 or > IngestOptions.MaxWorkerIdLength || !options.WorkerId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            failures.Add($"WorkerId (--worker-id): expected 1 to {IngestOptions.MaxWorkerIdLength} letters, digits, '.', '_' or '-', got '{options.WorkerId}'");
        }

        bool tls = options.Broker?.Scheme == "mqtts";
        if (!tls && (options.BrokerCaFile ?? options.BrokerClientCertFile ?? options.BrokerClientKeyFile) is not null)
        {
            failures.Add("BrokerCaFile, BrokerClientCertFile, BrokerClientKeyFile (--broker-ca, --broker-client-cert, --broker-client-key): only with an mqtts:// broker");
        }

        if ((options.BrokerClientCertFile is null) != (options.BrokerClientKeyFile is null))
        {
            failures.Add("BrokerClientCertFile, BrokerClientKeyFile (--broker-client-cert, --broker-client-key): give both or neither");
        }

        foreach ((string option, string? file) in new[] { ("BrokerCaFile (--broker-ca)", options.BrokerCaFile), ("BrokerClientCertFile (--broker-client-cert)", options.BrokerClientCertFile), ("BrokerClientKeyFile (--broker-client-key)", options.BrokerClientKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                failures.Add($"{option}: {file} does not exist");
            }
        }

        if ((options.JpkiRootsFile is null) != (options.JpkiCrlFile is null))
        {
            failures.Add("JpkiRootsFile, JpkiCrlFile (--jpki-roots, --jpki-crl): give both or neither (a root without its CRL cannot tell a revoked card)");
        }

        foreach ((string option, string? file) in new[] { ("JpkiRootsFile (--jpki-roots)", options.JpkiRootsFile), ("JpkiCrlFile (--jpki-crl)", options.JpkiCrlFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                failures.Add($"{option}: {file} does not exist");
            }
        }

        if (options.CloseInterval <= TimeSpan.Zero)
        {
            failures.Add($"CloseInterval: expected a positive interval, got {options.CloseInterval}");
        }

        QuarantineProblems(options, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void StoreProblems(IngestOptions options, List<string> failures)
    {
        try
        {
            Hosting.IngestStoreOption.PostgresSettings(options, Environment.GetEnvironmentVariable("PGPASSFILE"));
        }
        catch (Store.Postgres.StoreOptionException e)
        {
            string property = e.Option switch
            {
                "--store-pass-file" => "StorePassFile ",
                "--store" => "Store ",
                _ => "",
            };
            failures.Add($"{property}({e.Option}): {e.Problem}");
        }
    }

    /// <summary>The quarantine's bounds: each positive, a device's within the total, a record's payload within a device's.</summary>
    private static void QuarantineProblems(IngestOptions options, List<string> failures)
    {
        if (options.QuarantineTotalBytes <= 0)
        {
            failures.Add($"QuarantineTotalBytes (--quarantine-total-bytes): expected a positive number of bytes, got {options.QuarantineTotalBytes}");
        }

        if (options.QuarantineDeviceBytes <= 0 || options.QuarantineDeviceBytes > options.QuarantineTotalBytes)
        {
            failures.Add($"QuarantineDeviceBytes (--quarantine-device-bytes): expected a positive number of bytes at most QuarantineTotalBytes ({options.QuarantineTotalBytes}), got {options.QuarantineDeviceBytes}");
        }

        if (options.QuarantinePayloadBytes <= 0 || options.QuarantinePayloadBytes > IngestOptions.MaxQuarantinePayloadBytes || options.QuarantinePayloadBytes > options.QuarantineDeviceBytes)
        {
            failures.Add($"QuarantinePayloadBytes (--quarantine-payload-bytes): expected 1 to {IngestOptions.MaxQuarantinePayloadBytes} bytes and at most QuarantineDeviceBytes ({options.QuarantineDeviceBytes}), got {options.QuarantinePayloadBytes}");
        }

        if (options.QuarantineRetention <= TimeSpan.Zero)
        {
            failures.Add($"QuarantineRetention (--quarantine-retention-days): expected a positive period, got {options.QuarantineRetention}");
        }

        if (options.QuarantinePurgeInterval <= TimeSpan.Zero || options.QuarantinePurgeInterval > IngestOptions.MaxQuarantinePurgeInterval)
        {
            failures.Add($"QuarantinePurgeInterval: expected a positive interval of at most {IngestOptions.MaxQuarantinePurgeInterval}, got {options.QuarantinePurgeInterval}");
        }

        if (options.TapRetentionYears is < 1 or > TapRetention.MaxYears)
        {
            failures.Add($"TapRetentionYears (--tap-retention-years): expected 1 to {TapRetention.MaxYears} years, got {options.TapRetentionYears}");
        }

        if (options.TapPurgeInterval <= TimeSpan.Zero || options.TapPurgeInterval > IngestOptions.MaxQuarantinePurgeInterval)
        {
            failures.Add($"TapPurgeInterval: expected a positive interval of at most {IngestOptions.MaxQuarantinePurgeInterval}, got {options.TapPurgeInterval}");
        }
    }

    /// <summary>Where the web host listens, and how: HTTPS or a proxy in front whenever it is off loopback.</summary>
    private static void HttpProblems(IngestOptions options, List<string> failures)
    {
        if (!System.Net.IPAddress.TryParse(options.HttpBind, out System.Net.IPAddress? bind))
        {
            failures.Add($"HttpBind (--bind): '{options.HttpBind}' is not an IP address");
            return;
        }

        if ((options.HttpsCertFile is null) != (options.HttpsKeyFile is null))
        {
            failures.Add("HttpsCertFile, HttpsKeyFile (--https-cert, --https-key): give both or neither");
        }

        foreach ((string option, string? file) in new[] { ("HttpsCertFile (--https-cert)", options.HttpsCertFile), ("HttpsKeyFile (--https-key)", options.HttpsKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                failures.Add($"{option}: {file} does not exist");
            }
        }

        if (options.BehindProxy is { } proxy && !System.Net.IPAddress.TryParse(proxy, out _))
        {
            failures.Add($"BehindProxy (--behind-proxy): '{proxy}' is not an IP address");
        }

        if (!System.Net.IPAddress.IsLoopback(bind) && options.HttpsCertFile is null && options.BehindProxy is null)
        {
            failures.Add($"HttpBind (--bind): {options.HttpBind} is not loopback: operators' sessions and tokens would cross the network in clear; give --https-cert and --https-key, or --behind-proxy ADDR for a proxy that terminates TLS");
        }
    }
}
