using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Broker;

/// <summary>What <see cref="MosquittoConfigWriter"/> writes; validated in <see cref="Validate"/>.</summary>
public sealed class MosquittoConfigOptions
{
    public required string OutDir { get; init; }
    public int Port { get; init; } = 1883;

    /// <summary>Loopback unless told otherwise (docs/contract.md §9: TLS where the broker is not on loopback).</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>The ingest's broker user; its password is generated and written to <c>ingest.pass</c>.</summary>
    public string IngestUser { get; init; } = "ingest";

    /// <summary>The user Mosquitto drops to when started as root (Debian: mosquitto).</summary>
    public string RunAsUser { get; init; } = "mosquitto";

    /// <summary>Seconds between persistence snapshots. Acks come from the ingest, so a lost snapshot only means resends.</summary>
    public int AutosaveSeconds { get; init; } = 60;

    /// <summary>The broker's server certificate (PEM) for the TLS listener; no TLS listener when null.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>The server certificate's private key (PEM).</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>The CA that signs the devices' client certificates (PEM); required with <see cref="RequireClientCertificate"/>.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>The TLS listener's port.</summary>
    public int TlsPort { get; init; } = 8883;

    /// <summary>Each device presents a client certificate whose CN, its device id, becomes its user name.</summary>
    public bool RequireClientCertificate { get; init; }

    public bool Tls => TlsCertFile is not null;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutDir))
        {
            throw new ArgumentException("--out: a directory is required");
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"--port: expected 1–65535, got {Port}");
        }

        if (!IPAddress.TryParse(BindAddress, out IPAddress? bind))
        {
            throw new ArgumentException($"--bind: '{BindAddress}' is not an IP address");
        }

        if ((TlsCertFile is null) != (TlsKeyFile is null))
        {
            throw new ArgumentException("--tls-cert and --tls-key: give both or neither");
        }

        if (!Tls && !IPAddress.IsLoopback(bind))
        {
            throw new ArgumentException($"--bind {BindAddress}: a plain listener off loopback would carry device passwords in clear; give --tls-cert and --tls-key");
        }

        if (Tls)
        {
            if (TlsPort is < 1 or > 65535 || TlsPort == Port)
            {
                throw new ArgumentException($"--tls-port: expected 1–65535 and not the plain port {Port}, got {TlsPort}");
            }

            foreach ((string option, string? file) in new[] { ("--tls-cert", TlsCertFile), ("--tls-key", TlsKeyFile), ("--tls-ca", TlsCaFile) })
            {
                if (file is not null && !File.Exists(file))
                {
                    throw new ArgumentException($"{option}: {file} does not exist");
                }
            }
        }

        if (RequireClientCertificate && (!Tls || TlsCaFile is null))
        {
            throw new ArgumentException("--require-client-cert needs --tls-cert, --tls-key and --tls-ca (the CA of the devices' certificates)");
        }

        if (!Topics.IsValidDeviceId(IngestUser))
        {
            throw new ArgumentException($"--ingest-user: '{IngestUser}' is not a usable user name");
        }
    }
}

/// <summary>The files written, for the caller to report.</summary>
public sealed record MosquittoConfigFiles(string Config, string PasswordFile, string AclFile, string IngestPasswordFile, string DataDir, int Devices);

/// <summary>
/// Writes a Mosquitto 2.0 configuration for the city's devices (docs/contract.md §8, §9): per-device
/// credentials (password = HMAC of the device key, so the key never travels), topic ACLs, persistence
/// on, and queue limits that never drop QoS 1 messages silently (Mosquitto's default drops past 1,000).
/// </summary>
public static class MosquittoConfigWriter
{
    // mosquitto_passwd of Mosquitto 2.0: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt ("$7$").
    private const int Pbkdf2Iterations = 101;

    public static MosquittoConfigFiles Write(CityRegistry registry, MosquittoConfigOptions options)
    {
        options.Validate();
        string dir = Path.GetFullPath(options.OutDir);
        Directory.CreateDirectory(dir);
        string dataDir = Path.Combine(dir, "data");
        Directory.CreateDirectory(dataDir);

        string ingestPassword = Base64UrlRandom(32);
        var passwd = new StringBuilder();
        int devices = 0;
        foreach (DeviceEntry device in registry.Devices.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            if (device.Id == options.IngestUser)
            {
                throw new ArgumentException($"--ingest-user: '{options.IngestUser}' is also a device id");
            }

            passwd.Append(device.Id).Append(':').Append(HashPassword(DeviceAuth.ComputeMqttPassword(device.Key))).Append('\n');
            devices++;
        }

        passwd.Append(options.IngestUser).Append(':').Append(HashPassword(ingestPassword)).Append('\n');

        string passwordFile = Path.Combine(dir, "passwd");
        string aclFile = Path.Combine(dir, "acl");
        string ingestPassFile = Path.Combine(dir, "ingest.pass");
        string configFile = Path.Combine(dir, "mosquitto.conf");
        WriteOwnerOnly(passwordFile, passwd.ToString());
        WriteOwnerOnly(ingestPassFile, ingestPassword + "\n");
        WriteOwnerOnly(aclFile, Acl(options.IngestUser));
        WriteOwnerOnly(configFile, Config(options, dataDir, passwordFile, aclFile));
        return new MosquittoConfigFiles(configFile, passwordFile, aclFile, ingestPassFile, dataDir, devices);
    }

    /// <summary>A Mosquitto 2.0 password file entry for a clear password.</summary>
    public static string HashPassword(string password)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(12);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Pbkdf2Iterations, HashAlgorithmName.SHA512, 64);
        return string.Create(CultureInfo.InvariantCulture, $"$7${Pbkdf2Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    private static string Acl(string ingestUser) => $"""
        # Maebashi Edge topic ACL (docs/contract.md §9). Patterns apply to every client; %u is the user name = device id.
        # A device writes only its own evt/status and reads only its own ack/cfg and the deny list.
        pattern write {Topics.Root}/dev/%u/evt
        pattern write {Topics.Root}/dev/%u/status
        pattern read {Topics.Root}/dev/%u/ack
        pattern read {Topics.Root}/dev/%u/cfg
        pattern read {Topics.Deny}

        # The ingest reads every device's events and status and writes acks, configuration and the deny list.
        user {ingestUser}
        topic readwrite {Topics.Root}/#

        """;

    private static string Config(MosquittoConfigOptions o, string dataDir, string passwordFile, string aclFile) => $"""
        # Maebashi Edge — Mosquitto 2.0 configuration, generated by `maebashi-edge broker mosquitto-config`.
        # Started as root, Mosquitto drops to `user`; that user must own this directory's files.
        user {o.RunAsUser}
        per_listener_settings false

        {Listeners(o)}
        allow_anonymous false
        password_file {passwordFile}
        acl_file {aclFile}

        # Persistence on: sessions and queued QoS 1 messages survive a restart. Acknowledgements come from
        # the ingest, not the broker, so what a crash loses since the last snapshot is resent by devices.
        persistence true
        persistence_location {dataDir}/
        autosave_interval {o.AutosaveSeconds.ToString(CultureInfo.InvariantCulture)}
        persistent_client_expiration 30d

        # Never drop QoS 1 messages silently: the default max_queued_messages is 1000.
        max_queued_messages 0
        max_queued_bytes 0
        max_inflight_messages 100
        # Batches are at most 256 KiB; larger ones must still reach the ingest to be quarantined.
        max_packet_size 1048576
        set_tcp_nodelay true

        log_type error
        log_type warning
        log_type notice
        log_dest stderr
        connection_messages true

        """;

    /// <summary>
    /// The plain listener on loopback (the ingest on the broker's own host), and with TLS a TLS 1.2+ listener where the
    /// devices connect (docs/contract.md §9: TLS wherever the broker is not on loopback).
    /// </summary>
    private static string Listeners(MosquittoConfigOptions o)
    {
        string port = o.Port.ToString(CultureInfo.InvariantCulture);
        if (!o.Tls)
        {
            return $"listener {port} {o.BindAddress}\nprotocol mqtt";
        }

        var tls = new StringBuilder()
            .Append("# Plain MQTT only on loopback, for an ingest on this host.\n")
            .Append(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1\nprotocol mqtt\n\n")
            .Append("# TLS for the devices (TLS 1.2 or later).\n")
            .Append(CultureInfo.InvariantCulture, $"listener {o.TlsPort} {o.BindAddress}\nprotocol mqtt\n")
            .Append(CultureInfo.InvariantCulture, $"certfile {Path.GetFullPath(o.TlsCertFile!)}\n")
            .Append(CultureInfo.InvariantCulture, $"keyfile {Path.GetFullPath(o.TlsKeyFile!)}\n")
            .Append("tls_version tlsv1.2");
        if (o.TlsCaFile is { } ca)
        {
            tls.Append(CultureInfo.InvariantCulture, $"\ncafile {Path.GetFullPath(ca)}");
        }

        if (o.RequireClientCertificate)
        {
            // The certificate's CN (the device id) is the user name: the topic ACL's %u is then the certificate's device.
            tls.Append("\nrequire_certificate true\nuse_identity_as_username true");
        }

        return tls.ToString();
    }

    private static void WriteOwnerOnly(string path, string content)
    {
        File.WriteAllText(path, content.Replace("\r\n", "\n", StringComparison.Ordinal), new UTF8Encoding(false));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static string Base64UrlRandom(int bytes) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
