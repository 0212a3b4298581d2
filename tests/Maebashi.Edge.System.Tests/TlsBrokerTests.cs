using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Broker.Tls;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace Maebashi.Edge.System.Tests;

/// <summary>
/// Terminals and a real Mosquitto over TLS (docs/contract.md §9): the certificates made by <c>tls dev-ca</c>, the broker
/// configured by <c>broker mosquitto-config --tls-…</c>, the terminal by <c>terminal provision --tls …</c>.
/// </summary>
[Trait("Category", "Tls")]
[global::System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsBrokerTests : IDisposable
{
    private const string Bus = "BUS0042";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("maebashi-tls-").FullName;
    private readonly CityRegistry _registry = RegistryLoader.Load(SharedFixtures.RegistryPath);
    private readonly List<IDisposable> _running = [];

    public void Dispose()
    {
        foreach (IDisposable d in Enumerable.Reverse(_running))
        {
            d.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary><c>tls dev-ca</c> as a technician runs it, with a client certificate for the bus and one for another device.</summary>
    private string DevCa(string name)
    {
        string ca = Path.Combine(_dir, name);
        ProcessResult made = EdgeCli.Run("tls", "dev-ca", "--out", ca, "--hosts", "localhost,127.0.0.1", "--devices", $"{Bus},EVT01");
        Assert.True(made.Exit == 0, $"tls dev-ca: {made.Err}");
        return ca;
    }

    private MosquittoProcess Broker(string name, MosquittoTls tls)
    {
        MosquittoProcess broker = MosquittoProcess.Start(_registry, Path.Combine(_dir, name), Timeout, tls);
        _running.Add(broker);
        return broker;
    }

    private string Provision(string name, int port, params string[] tls)
    {
        string dir = Path.Combine(_dir, name);
        ProcessResult p = EdgeCli.Run(["terminal", "provision", "--out", dir, "--device", Bus, "--registry", SharedFixtures.RegistryPath,
            "--broker-host", "localhost", "--broker-port", port.ToString(global::System.Globalization.CultureInfo.InvariantCulture), "--state", "state", .. tls]);
        Assert.True(p.Exit == 0, $"terminal provision: {p.Err}");
        return Path.Combine(dir, "terminal.json");
    }

    private async Task<ChildProcess> RunAsync(string config)
    {
        ChildProcess terminal = await EdgeCli.StartTerminalAsync(config);
        _running.Add(terminal);
        return terminal;
    }

    private static async Task<long> TapAndCountBacklogAsync(string config)
    {
        string portFile = Path.Combine(Path.GetDirectoryName(config)!, "state", "control.port");
        int port = int.Parse(File.ReadAllText(portFile).Trim(), global::System.Globalization.CultureInfo.InvariantCulture);
        using ControlClient control = await ControlClient.ConnectAsync(port, CancellationToken.None);
        Assert.StartsWith("ok", await control.SendAsync("at R01 S01"), StringComparison.Ordinal);
        Assert.StartsWith("ok accept", await control.SendAsync("tap iso14443a 0A0B0C0D rear"), StringComparison.Ordinal);
        return await control.BacklogAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_terminal_connects_over_TLS_with_the_dev_CA_and_with_a_client_certificate_where_the_broker_requires_one()
    {
        string ca = DevCa("ca");
        string caCert = Path.Combine(ca, DevCertificateAuthority.CaCertificateFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ca, DevCertificateAuthority.ServerKeyFile)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ca, "clients", Bus + ".key")));

        MosquittoProcess tls = Broker("mq", new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key")));
        ChildProcess terminal = await RunAsync(Provision("t1", tls.TlsPort!.Value, "--tls", "--ca-file", caCert));
        await terminal.WaitForLineAsync(l => l.Contains($"Connected to broker localhost:{tls.TlsPort}", StringComparison.Ordinal), Timeout);

        MosquittoProcess mutual = Broker("mq-mutual", new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key"), caCert, RequireClientCertificate: true));
        string config = Provision("t2", mutual.TlsPort!.Value, "--tls", "--ca-file", caCert,
            "--client-cert", Path.Combine(ca, "clients", Bus + ".crt"), "--client-key", Path.Combine(ca, "clients", Bus + ".key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Path.GetDirectoryName(config)!, "keys", "client.key")));
        ChildProcess second = await RunAsync(config);
        await second.WaitForLineAsync(l => l.Contains($"Connected to broker localhost:{mutual.TlsPort}", StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task While_the_CA_is_rotated_a_terminal_given_the_old_and_the_new_CA_accepts_a_broker_certificate_of_the_new_one()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 oldCa = DevCertificateAuthority.CreateCa("Maebashi CA 2025", now.AddDays(-300), now.AddDays(60));
        using X509Certificate2 newCa = DevCertificateAuthority.CreateCa("Maebashi CA 2026", now.AddDays(-1), now.AddDays(700));
        string bundle = Path.Combine(_dir, "ca-bundle.crt");
        File.WriteAllText(bundle, oldCa.ExportCertificatePem() + "\n" + newCa.ExportCertificatePem() + "\n");
        using X509Certificate2 server = DevCertificateAuthority.IssueServer(newCa, ["localhost"], now.AddDays(-1), now.AddDays(365));
        PemPair pair = DevCertificateAuthority.Save(server, Path.Combine(_dir, "new.crt"), Path.Combine(_dir, "new.key"));
        MosquittoProcess broker = Broker("mq", new MosquittoTls(pair.Certificate, pair.Key));

        ChildProcess terminal = await RunAsync(Provision("t", broker.TlsPort!.Value, "--tls", "--ca-file", bundle));
        await terminal.WaitForLineAsync(l => l.Contains($"Connected to broker localhost:{broker.TlsPort}", StringComparison.Ordinal), Timeout);
    }

    public static TheoryData<string> BadServerCertificates => ["another CA", "another host", "expired"];

    [Theory]
    [MemberData(nameof(BadServerCertificates))]
    public async Task A_broker_certificate_of_another_CA_another_host_or_past_its_date_is_refused_by_name_and_the_taps_wait(string bad)
    {
        // The terminal's CA, made two months ago (a certificate it issued can have expired since).
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 authority = DevCertificateAuthority.CreateCa("Maebashi test CA", now.AddDays(-60), now.AddDays(60));
        string caCert = Path.Combine(_dir, "terminal-ca.crt");
        File.WriteAllText(caCert, authority.ExportCertificatePem());
        using X509Certificate2 other = DevCertificateAuthority.CreateCa("Some other CA", now.AddDays(-1), now.AddDays(30));
        using X509Certificate2 server = bad switch
        {
            "another CA" => DevCertificateAuthority.IssueServer(other, ["localhost", "127.0.0.1"], now.AddDays(-1), now.AddDays(30)),
            "another host" => DevCertificateAuthority.IssueServer(authority, ["broker.elsewhere.example"], now.AddDays(-1), now.AddDays(30)),
            _ => DevCertificateAuthority.IssueServer(authority, ["localhost", "127.0.0.1"], now.AddDays(-30), now.AddDays(-1)),
        };
        PemPair pair = DevCertificateAuthority.Save(server, Path.Combine(_dir, "bad.crt"), Path.Combine(_dir, "bad.key"));
        MosquittoProcess broker = Broker("mq", new MosquittoTls(pair.Certificate, pair.Key));

        string config = Provision("t", broker.TlsPort!.Value, "--tls", "--ca-file", caCert);
        ChildProcess terminal = await RunAsync(config);
        string expected = bad switch
        {
            "another CA" => "is not signed by the CA in Broker:CaFile",
            "another host" => "is not for the host name localhost",
            _ => "is not valid now",
        };
        await terminal.WaitForLineAsync(l => l.Contains("TLS to the broker", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal), Timeout);

        // Offline as far as the cloud goes: the tap is taken and waits in the ledger.
        Assert.Equal(1, await TapAndCountBacklogAsync(config));
        Assert.DoesNotContain("Connected to broker", terminal.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ingest_reaches_the_broker_through_mqtts_with_its_client_certificate_and_its_configuration_reaches_the_bus()
    {
        string ca = DevCa("ca");
        string caCert = Path.Combine(ca, DevCertificateAuthority.CaCertificateFile);
        MosquittoProcess broker = Broker("mq", new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key"), caCert, RequireClientCertificate: true));

        // The ingest's client certificate, CN = its broker user, from the devices' CA.
        using X509Certificate2 authority = X509Certificate2.CreateFromPemFile(caCert, Path.Combine(ca, DevCertificateAuthority.CaKeyFile));
        using X509Certificate2 ingestClient = DevCertificateAuthority.IssueClient(authority, "ingest", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        PemPair ingestPair = DevCertificateAuthority.Save(ingestClient, Path.Combine(_dir, "ingest.crt"), Path.Combine(_dir, "ingest.key"));

        RunningIngestProcess ingest = await EdgeCli.StartIngestAsync(["--registry", SharedFixtures.RegistryPath, "--data", Path.Combine(_dir, "ingest"), "--http-port", "0",
            "--broker", $"mqtts://localhost:{broker.TlsPort}", "--broker-ca", caCert, "--broker-client-cert", ingestPair.Certificate, "--broker-client-key", ingestPair.Key,
            "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile]);
        _running.Add(ingest);

        string config = Provision("t", broker.TlsPort!.Value, "--tls", "--ca-file", caCert,
            "--client-cert", Path.Combine(ca, "clients", Bus + ".crt"), "--client-key", Path.Combine(ca, "clients", Bus + ".key"));
        ChildProcess terminal = await RunAsync(config);
        // The ingest published the bus's configuration (retained) over TLS; the bus received it over TLS.
        await terminal.WaitForLineAsync(l => l.Contains("cfg version", StringComparison.Ordinal) && l.Contains("in force", StringComparison.Ordinal), Timeout);
    }

    [Fact]
    public async Task An_ingest_given_another_CA_for_the_broker_stops_at_start_and_says_why()
    {
        string ca = DevCa("ca");
        string other = DevCa("other");
        MosquittoProcess broker = Broker("mq", new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key")));
        ProcessResult run = await ProcessRunner.RunAsync(ChildProcess.DotnetHost, [EdgeCli.Dll, "ingest", "run", "--registry", SharedFixtures.RegistryPath,
            "--data", Path.Combine(_dir, "ingest"), "--http-port", "0", "--broker", $"mqtts://localhost:{broker.TlsPort}",
            "--broker-ca", Path.Combine(other, DevCertificateAuthority.CaCertificateFile), "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile], Timeout);
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("is not signed by the CA in --broker-ca", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Doctor_reports_the_handshake_a_certificate_about_to_end_an_expired_one_a_wrong_host_and_a_wrong_CA_by_name()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 authority = DevCertificateAuthority.CreateCa("Maebashi test CA", now.AddDays(-60), now.AddDays(400));
        string caCert = Path.Combine(_dir, "terminal-ca.crt");
        File.WriteAllText(caCert, authority.ExportCertificatePem());

        using X509Certificate2 stranger = DevCertificateAuthority.CreateCa("Another CA", now.AddDays(-60), now.AddDays(400));

        string Doctor(string name, DateTimeOffset until, params string[] hosts) => DoctorOf(name, authority, until < now ? until.AddDays(-30) : now.AddDays(-1), until, hosts);

        string DoctorOf(string name, X509Certificate2 issuer, DateTimeOffset from, DateTimeOffset until, params string[] hosts)
        {
            using X509Certificate2 server = DevCertificateAuthority.IssueServer(issuer, hosts, from, until);
            PemPair pair = DevCertificateAuthority.Save(server, Path.Combine(_dir, name + ".crt"), Path.Combine(_dir, name + ".key"));
            MosquittoProcess broker = Broker("mq-" + name, new MosquittoTls(pair.Certificate, pair.Key));
            string config = Provision("t-" + name, broker.TlsPort!.Value, "--tls", "--ca-file", caCert);
            ProcessResult doctor = EdgeCli.Run("terminal", "doctor", "--config", config);
            return doctor.Out;
        }

        string good = Doctor("good", now.AddDays(300), "localhost");
        Assert.Matches(@"OK\s+tls\s+TLS to localhost:\d+: the broker's certificate is valid until", good);
        Assert.Matches(@"OK\s+credentials\s+broker accepted user BUS0042", good);

        string ending = Doctor("ending", now.AddDays(10), "localhost");
        Assert.Matches(@"WARN\s+tls\s+.*the broker's certificate ends on .*, in \d+ days: renew it", ending);

        string wrongHost = Doctor("host", now.AddDays(300), "broker.elsewhere.example");
        Assert.Matches(@"FAIL\s+tls\s+TLS to localhost:\d+ failed: the broker's certificate is not for the host name localhost", wrongHost);

        string expired = Doctor("expired", now.AddDays(-2), "localhost");
        Assert.Matches(@"FAIL\s+tls\s+TLS to localhost:\d+ failed: the broker's certificate is not valid now", expired);

        string wrongCa = DoctorOf("ca", stranger, now.AddDays(-1), now.AddDays(300), "localhost");
        Assert.Matches(@"FAIL\s+tls\s+TLS to localhost:\d+ failed: the broker's certificate is not signed by the CA in", wrongCa);
    }

    [Fact]
    public async Task An_ingest_asked_to_serve_off_loopback_without_HTTPS_or_a_proxy_stops_at_start_and_says_why()
    {
        ProcessResult run = await ProcessRunner.RunAsync(ChildProcess.DotnetHost, [EdgeCli.Dll, "ingest", "run", "--registry", SharedFixtures.RegistryPath,
            "--data", Path.Combine(_dir, "ingest"), "--mqtt-port", "0", "--http-port", "0", "--bind", "0.0.0.0"], Timeout);
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("--bind", run.Err, StringComparison.Ordinal);
        Assert.Contains("--https-cert", run.Err, StringComparison.Ordinal);
        Assert.Contains("--behind-proxy", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_broker_configuration_refuses_a_plain_listener_off_loopback_and_a_client_certificate_without_its_CA()
    {
        ProcessResult plain = EdgeCli.Run("broker", "mosquitto-config", "--registry", SharedFixtures.RegistryPath, "--out", Path.Combine(_dir, "plain"), "--bind", "10.0.0.5");
        Assert.Equal(2, plain.Exit);
        Assert.Contains("--bind 10.0.0.5", plain.Err, StringComparison.Ordinal);
        Assert.Contains("--tls-cert", plain.Err, StringComparison.Ordinal);

        string ca = DevCa("ca");
        ProcessResult noCa = EdgeCli.Run("broker", "mosquitto-config", "--registry", SharedFixtures.RegistryPath, "--out", Path.Combine(_dir, "noca"),
            "--bind", "0.0.0.0", "--tls-cert", Path.Combine(ca, "server.crt"), "--tls-key", Path.Combine(ca, "server.key"), "--require-client-cert");
        Assert.Equal(2, noCa.Exit);
        Assert.Contains("--tls-ca", noCa.Err, StringComparison.Ordinal);

        ProcessResult ok = EdgeCli.Run("broker", "mosquitto-config", "--registry", SharedFixtures.RegistryPath, "--out", Path.Combine(_dir, "ok"),
            "--bind", "0.0.0.0", "--tls-cert", Path.Combine(ca, "server.crt"), "--tls-key", Path.Combine(ca, "server.key"));
        Assert.True(ok.Exit == 0, ok.Err);
        string conf = File.ReadAllText(Path.Combine(_dir, "ok", "mosquitto.conf"));
        Assert.Contains("listener 1883 127.0.0.1", conf, StringComparison.Ordinal);
        Assert.Contains("listener 8883 0.0.0.0", conf, StringComparison.Ordinal);
        Assert.Contains("tls_version tlsv1.2", conf, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_MQTT_to_the_TLS_port_is_refused_and_a_certificate_naming_another_device_cannot_publish_as_the_bus()
    {
        string ca = DevCa("ca");
        string caCert = Path.Combine(ca, DevCertificateAuthority.CaCertificateFile);
        MosquittoProcess broker = Broker("mq", new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key"), caCert, RequireClientCertificate: true));
        DeviceEntry bus = _registry.FindDevice(Bus)!;
        var factory = new MqttClientFactory();

        using IMqttClient plain = factory.CreateMqttClient();
        MqttClientOptions plainOptions = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.TlsPort!.Value)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId(Bus)
            .WithCredentials(Bus, DeviceAuth.ComputeMqttPassword(bus.Key)).WithTimeout(TimeSpan.FromSeconds(5)).Build();
        await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => plain.ConnectAsync(plainOptions));

        // The event site's certificate, presented by a client that calls itself the bus: Mosquitto takes the CN as the user,
        // and the topic ACL gives that user only its own topics.
        using X509Certificate2 evt = X509Certificate2.CreateFromPemFile(Path.Combine(ca, "clients", "EVT01.crt"), Path.Combine(ca, "clients", "EVT01.key"));
        using X509Certificate2 authority = X509CertificateLoader.LoadCertificateFromFile(caCert);
        using IMqttClient impostor = factory.CreateMqttClient();
        MqttClientOptions impostorOptions = new MqttClientOptionsBuilder().WithTcpServer("localhost", broker.TlsPort!.Value)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId(Bus)
            .WithCredentials(Bus, DeviceAuth.ComputeMqttPassword(bus.Key))
            .WithTlsOptions(t => t.UseTls().WithClientCertificates([evt]).WithTrustChain([authority]))
            .WithTimeout(TimeSpan.FromSeconds(5)).Build();
        await impostor.ConnectAsync(impostorOptions);
        MqttClientPublishResult published = await impostor.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(Topics.Events(Bus)).WithPayload("{}"u8.ToArray()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, published.ReasonCode);
    }
}
