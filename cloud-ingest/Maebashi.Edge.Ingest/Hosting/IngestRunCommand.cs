using System.CommandLine;
using System.Runtime.InteropServices;
using Maebashi.Edge.CardAuth.Jpki;
using Maebashi.Edge.CardAuth.Keys;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Store.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>How <c>run</c> ends.</summary>
public enum IngestExitCode
{
    /// <summary>Stopped cleanly (Ctrl+C or SIGTERM).</summary>
    Ok = 0,

    /// <summary>The registry was read and has problems.</summary>
    Problems = 1,

    /// <summary>Could not start: a bad option, an unreadable or invalid file, a port in use.</summary>
    Usage = 2,
}

/// <summary>
/// The <c>run</c> verb, defined once: <c>maebashi-ingest run</c> (the deployable) and <c>./maebashi-edge ingest run</c>.
/// Standard output carries only the machine-readable lines scripts read (<c>mqtt-port=… http-port=… data=…</c>,
/// then <c>admin-token=…</c> when one was made); logs are JSON lines on standard error.
/// </summary>
public static class IngestRunCommand
{
    /// <summary>A century: longer than any record is worth keeping, well within a <see cref="TimeSpan"/>.</summary>
    private const int MaxRetentionDays = 36_500;

    /// <param name="program">The name errors are prefixed with (the executable the user ran).</param>
    public static Command Create(string program)
    {
        var registry = new Option<string?>("--registry") { Description = "registry file (docs/contract.md §7); with a postgresql:// store optional: the worker runs with the registry the database holds, importing this file first when it is new" };
        var data = new Option<string?>("--data") { Description = "data directory (the LiteDB store, audit log); a temp directory when omitted" };
        var store = new Option<string>("--store") { Description = "the store: litedb (under --data), or postgresql://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…] (libpq's URI)", DefaultValueFactory = _ => IngestStoreOption.LiteDb };
        var storePassFile = new Option<string?>("--store-pass-file") { Description = "owner-only file holding the PostgreSQL password (else the URI's, or PGPASSFILE)" };
        var mqttPort = new Option<int>("--mqtt-port") { Description = "embedded broker port on 127.0.0.1 (0: any free port)", DefaultValueFactory = _ => 1883 };
        var httpPort = new Option<int>("--http-port") { Description = "HTTP API port (0: any free port)", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind") { Description = "the API's and console's address (loopback unless told otherwise; off loopback only with HTTPS or --behind-proxy)", DefaultValueFactory = _ => "127.0.0.1" };
        var httpsCert = new Option<string?>("--https-cert") { Description = "serve HTTPS with this server certificate (PEM)" };
        var httpsKey = new Option<string?>("--https-key") { Description = "the HTTPS certificate's private key (PEM)" };
        var behindProxy = new Option<string?>("--behind-proxy") { Description = "the address of a reverse proxy that terminates TLS: its X-Forwarded-For/-Proto are honoured, no one else's" };
        var operators = new Option<string?>("--operators") { Description = "operators file [{\"name\",\"scope\",\"token\"?,\"passwordHash\"?}]; without it an admin token is generated and printed" };
        var broker = new Option<string?>("--broker") { Description = "external MQTT 5 broker mqtt://HOST:PORT (or mqtts://HOST:PORT over TLS) instead of the embedded one" };
        var brokerCa = new Option<string?>("--broker-ca") { Description = "with mqtts: the CA of the broker's certificate (PEM); the system's trusted CAs otherwise" };
        var brokerClientCert = new Option<string?>("--broker-client-cert") { Description = "with mqtts: the ingest's client certificate (PEM, CN = its broker user)" };
        var brokerClientKey = new Option<string?>("--broker-client-key") { Description = "the client certificate's private key (PEM)" };
        var brokerUser = new Option<string?>("--broker-user") { Description = "user name of the ingest on the external broker" };
        var brokerPassFile = new Option<string?>("--broker-pass-file") { Description = "file holding the ingest's broker password" };
        var workerId = new Option<string?>("--worker-id") { Description = "this worker's stable, unique name (default: the host name); its MQTT client id and persistent session on --broker derive from it" };
        var cardKeys = new Option<string?>("--card-keys") { Description = "the city's card master keys (owner-only file: 'VERSION HEX' lines, or one hex line for version 0); required when the registry has ntag424-sun cards" };

        var jpkiRoots = new Option<string?>("--jpki-roots") { Description = "the JPKI roots My Number cards' certificates must chain to (PEM, one or more); with --jpki-crl. Without them, taps of jpki cards are refused" };
        var jpkiCrl = new Option<string?>("--jpki-crl") { Description = "the JPKI CRL (DER or PEM, signed by a root of --jpki-roots), read again whenever the file changes" };

        var quarantineDevice = new Option<long>("--quarantine-device-bytes") { Description = "most bytes of quarantine records one device may hold; past it its refusals are only counted (default 16 MiB)", DefaultValueFactory = _ => QuarantineLimits.Default.DeviceBytes };
        var quarantineTotal = new Option<long>("--quarantine-total-bytes") { Description = "most bytes of quarantine records in all (default 1 GiB)", DefaultValueFactory = _ => QuarantineLimits.Default.TotalBytes };
        var quarantinePayload = new Option<int>("--quarantine-payload-bytes") { Description = "most bytes of a payload a quarantine record keeps (default 64 KiB; its SHA-256 and size are of the whole)", DefaultValueFactory = _ => QuarantineLimits.Default.PayloadBytes };
        var quarantineRetention = new Option<int>("--quarantine-retention-days") { Description = "days a quarantine record is kept (default 90)", DefaultValueFactory = _ => (int)QuarantineLimits.Default.Retention.TotalDays };
        var tapRetention = new Option<int>("--tap-retention-years") { Description = $"years of service days whose raw taps are kept, 1 to {TapRetention.MaxYears} (default {TapRetention.DefaultYears}); wallet entries, adjustments and audit records are never dropped", DefaultValueFactory = _ => TapRetention.DefaultYears };

        var run = new Command("run", "run the ingest until Ctrl+C or SIGTERM") { registry, data, store, storePassFile, mqttPort, httpPort, operators, broker, brokerUser, brokerPassFile, brokerCa, brokerClientCert, brokerClientKey, workerId, bind, httpsCert, httpsKey, behindProxy, cardKeys, jpkiRoots, jpkiCrl,
            quarantineDevice, quarantineTotal, quarantinePayload, quarantineRetention, tapRetention };
        run.SetAction(async (parse, ct) =>
        {
            Uri? brokerUri = null;
            string? password = null;
            if (parse.GetValue(broker) is { } b)
            {
                if (!Uri.TryCreate(b, UriKind.Absolute, out brokerUri))
                {
                    return (int)Fail(program, $"--broker: expected mqtt://HOST:PORT or mqtts://HOST:PORT, got '{b}'");
                }

                if (parse.GetValue(brokerUser) is null || parse.GetValue(brokerPassFile) is not { } passFile)
                {
                    return (int)Fail(program, "--broker needs --broker-user and --broker-pass-file");
                }

                try
                {
                    password = File.ReadAllText(passFile).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return (int)Fail(program, $"--broker-pass-file: cannot read {passFile}: {e.Message}");
                }
            }

            // Days beyond a TimeSpan's range are refused here; the validator names every other bad value.
            int retentionDays = parse.GetValue(quarantineRetention);
            if (retentionDays > MaxRetentionDays)
            {
                return (int)Fail(program, $"--quarantine-retention-days: expected at most {MaxRetentionDays}, got {retentionDays}");
            }

            var options = new IngestOptions
            {
                RegistryPath = parse.GetValue(registry),
                DataDirectory = parse.GetValue(data),
                Store = parse.GetValue(store)!,
                StorePassFile = parse.GetValue(storePassFile),
                MqttPort = parse.GetValue(mqttPort),
                HttpPort = parse.GetValue(httpPort),
                HttpBind = parse.GetValue(bind)!,
                HttpsCertFile = parse.GetValue(httpsCert),
                HttpsKeyFile = parse.GetValue(httpsKey),
                BehindProxy = parse.GetValue(behindProxy),
                OperatorsPath = parse.GetValue(operators),
                Broker = brokerUri,
                BrokerUser = parse.GetValue(brokerUser),
                BrokerPassword = password,
                BrokerCaFile = parse.GetValue(brokerCa),
                BrokerClientCertFile = parse.GetValue(brokerClientCert),
                BrokerClientKeyFile = parse.GetValue(brokerClientKey),
                WorkerId = parse.GetValue(workerId) ?? IngestOptions.DefaultWorkerId(),
                CardKeysFile = parse.GetValue(cardKeys),
                JpkiRootsFile = parse.GetValue(jpkiRoots),
                JpkiCrlFile = parse.GetValue(jpkiCrl),
                QuarantineDeviceBytes = parse.GetValue(quarantineDevice),
                QuarantineTotalBytes = parse.GetValue(quarantineTotal),
                QuarantinePayloadBytes = parse.GetValue(quarantinePayload),
                QuarantineRetention = TimeSpan.FromDays(retentionDays),
                TapRetentionYears = parse.GetValue(tapRetention),
            };
            return (int)await RunAsync(program, options, ct);
        });
        return run;
    }

    private static async Task<IngestExitCode> RunAsync(string program, IngestOptions options, CancellationToken ct)
    {
        using ILoggerFactory loggers = LoggerFactory.Create(b => b
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("MQTTnet", LogLevel.Warning)
            // Each refused request is already answered 401/403; the log would only repeat it.
            .AddFilter("Maebashi.Edge.Ingest.Http.BearerTokenHandler", LogLevel.Warning)
            // A failed start is reported once, by RunAsync below, without the host's stack trace.
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical)
            .AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ")
            .Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        ILogger logger = loggers.CreateLogger("Maebashi.Edge.Ingest");
        IngestHost host;
        try
        {
            host = await IngestHost.StartAsync(options, loggers, TimeProvider.System, ct);
        }
        catch (RegistryException e)
        {
            Console.Error.WriteLine($"{program}: registry {options.RegistryPath}: {e.Problems.Count} problem(s)");
            foreach (RegistryProblem p in e.Problems)
            {
                Console.Error.WriteLine($"  {p}");
            }

            return IngestExitCode.Problems;
        }
        catch (OptionsValidationException e)
        {
            return Fail(program, string.Join("; ", e.Failures));
        }
        catch (OperatorsFileException e)
        {
            return Fail(program, e.Message);
        }
        catch (CardKeyFileException e)
        {
            return Fail(program, $"--card-keys: {e.Message}");
        }
        catch (JpkiTrustFileException e)
        {
            return Fail(program, $"--jpki-roots/--jpki-crl: {e.Message}");
        }
        catch (StoreSchemaException e)
        {
            return Fail(program, e.Message);
        }
        catch (StoreRegistryException e)
        {
            return Fail(program, e.Message);
        }
        catch (NpgsqlException e)
        {
            // Npgsql's messages name the server and the user, never the password.
            return Fail(program, $"--store {IngestStoreOption.Describe(options)}: cannot open the database: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.Net.Sockets.SocketException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            return Fail(program, $"ingest could not start: {e.Message}");
        }

        await using (host)
        {
            logger.LogInformation("Ingest ready: MQTT port {MqttPort}, HTTP port {HttpPort}, data {DataDirectory}, store {Store}", host.MqttPort, host.HttpPort, host.DataDirectory, IngestStoreOption.Describe(options));
            Console.Out.WriteLine($"mqtt-port={host.MqttPort} http-port={host.HttpPort} data={host.DataDirectory}");
            if (host.GeneratedAdminToken is { } token)
            {
                logger.LogInformation("No operators file: generated an admin token (printed on stdout)");
                Console.Out.WriteLine($"admin-token={token}");
            }

            Console.Out.Flush();

            // Ctrl+C and SIGTERM (systemd's stop) both end the wait; the host then stops cleanly.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Stopping the ingest");
            }
        }

        return IngestExitCode.Ok;
    }

    private static IngestExitCode Fail(string program, string message)
    {
        Console.Error.WriteLine($"{program}: {message}");
        return IngestExitCode.Usage;
    }
}
