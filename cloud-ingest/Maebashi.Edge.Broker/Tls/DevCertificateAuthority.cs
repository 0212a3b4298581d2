using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Broker.Tls;

/// <summary>What <c>tls dev-ca</c> makes; validated in <see cref="Validate"/>.</summary>
public sealed class DevCaOptions
{
    public required string OutDir { get; init; }

    /// <summary>Names and addresses the broker's (and the console's) server certificate is valid for.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = ["localhost", "127.0.0.1"];

    /// <summary>Device ids (and the ingest's broker user) that get a client certificate, its CN the id.</summary>
    public IReadOnlyList<string> Clients { get; init; } = [];

    /// <summary>How long the server and client certificates are valid; the CA lasts twice as long.</summary>
    public TimeSpan Validity { get; init; } = TimeSpan.FromDays(365);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutDir))
        {
            throw new ArgumentException("--out: a directory is required");
        }

        if (Hosts.Count == 0 || Hosts.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("--hosts: at least one host name or address is required");
        }

        if (Clients.FirstOrDefault(c => !Topics.IsValidDeviceId(c)) is { } bad)
        {
            throw new ArgumentException($"--devices: '{bad}' is not a device id");
        }

        if (Validity <= TimeSpan.Zero)
        {
            throw new ArgumentException("the validity must be positive");
        }
    }
}

/// <summary>A certificate and its private key as PEM files.</summary>
public sealed record PemPair(string Certificate, string Key);

/// <summary>The files <see cref="DevCertificateAuthority.Write"/> wrote.</summary>
public sealed record DevCaFiles(string CaCertificate, PemPair CaKey, PemPair Server, IReadOnlyDictionary<string, PemPair> Clients);

/// <summary>
/// A private certificate authority for tests and pilots (docs/operations.md, TLS): a CA, a server certificate for the
/// broker and the console, and a client certificate per device whose CN is the device id (what Mosquitto's
/// <c>use_identity_as_username</c> takes as the user). ECDSA P-256 keys, made with .NET's own certificate APIs. A city
/// in production issues these from its own CA instead; only the file names matter to the other verbs.
/// </summary>
public static class DevCertificateAuthority
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";
    public const string ServerCertificateFile = "server.crt";
    public const string ServerKeyFile = "server.key";
    public const string ClientsDirectory = "clients";

    public static DevCaFiles Write(DevCaOptions options)
    {
        options.Validate();
        string dir = Path.GetFullPath(options.OutDir);
        Directory.CreateDirectory(dir);
        DateTimeOffset now = options.Time.GetUtcNow();

        using X509Certificate2 ca = CreateCa("Maebashi Edge dev CA (pilots only)", now.AddMinutes(-5), now + options.Validity * 2);
        string caCert = Path.Combine(dir, CaCertificateFile);
        WriteFile(caCert, ca.ExportCertificatePem(), ownerOnly: false);
        var caPair = new PemPair(caCert, Path.Combine(dir, CaKeyFile));
        WriteFile(caPair.Key, ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), ownerOnly: true);

        using X509Certificate2 server = IssueServer(ca, options.Hosts, now.AddMinutes(-5), now + options.Validity);
        PemPair serverPair = Save(server, Path.Combine(dir, ServerCertificateFile), Path.Combine(dir, ServerKeyFile));

        var clients = new Dictionary<string, PemPair>(StringComparer.Ordinal);
        if (options.Clients.Count > 0)
        {
            string clientDir = Path.Combine(dir, ClientsDirectory);
            Directory.CreateDirectory(clientDir);
            foreach (string id in options.Clients.Distinct(StringComparer.Ordinal))
            {
                using X509Certificate2 client = IssueClient(ca, id, now.AddMinutes(-5), now + options.Validity);
                clients[id] = Save(client, Path.Combine(clientDir, id + ".crt"), Path.Combine(clientDir, id + ".key"));
            }
        }

        return new DevCaFiles(caCert, caPair, serverPair, clients);
    }

    /// <summary>A self-signed CA certificate with its private key.</summary>
    public static X509Certificate2 CreateCa(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>A server certificate for <paramref name="hosts"/> (DNS names and IP addresses), signed by <paramref name="ca"/>.</summary>
    public static X509Certificate2 IssueServer(X509Certificate2 ca, IEnumerable<string> hosts, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        string[] names = [.. hosts];
        var san = new SubjectAlternativeNameBuilder();
        foreach (string host in names)
        {
            if (IPAddress.TryParse(host, out IPAddress? address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(host);
            }
        }

        return Issue(ca, $"CN={Escape(names[0])}", notBefore, notAfter, X509KeyUsageFlags.DigitalSignature, "1.3.6.1.5.5.7.3.1", san.Build());
    }

    /// <summary>A client certificate whose CN is <paramref name="clientId"/>, signed by <paramref name="ca"/>.</summary>
    public static X509Certificate2 IssueClient(X509Certificate2 ca, string clientId, DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        Issue(ca, $"CN={Escape(clientId)}", notBefore, notAfter, X509KeyUsageFlags.DigitalSignature, "1.3.6.1.5.5.7.3.2", san: null);

    /// <summary>Writes a certificate (PEM, readable) and its key (PEM, owner-only).</summary>
    public static PemPair Save(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        WriteFile(certificatePath, certificate.ExportCertificatePem(), ownerOnly: false);
        WriteFile(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), ownerOnly: true);
        return new PemPair(certificatePath, keyPath);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter,
        X509KeyUsageFlags usage, string extendedUsageOid, X509Extension? san)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedUsageOid)], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        // Within the CA's own validity: a child outside its issuer's dates is refused by CertificateRequest.
        DateTimeOffset caStart = new(ca.NotBefore.ToUniversalTime());
        DateTimeOffset caEnd = new(ca.NotAfter.ToUniversalTime());
        notBefore = notBefore < caStart ? caStart : notBefore;
        DateTimeOffset end = notAfter < caEnd ? notAfter : caEnd;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(ca, notBefore, end, serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static string Escape(string value) => value.Replace("\"", "", StringComparison.Ordinal).Replace(",", " ", StringComparison.Ordinal).Replace("=", " ", StringComparison.Ordinal);

    private static void WriteFile(string path, string content, bool ownerOnly)
    {
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            // Created owner-only from the start: the key is never readable by others, not even for a moment.
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            stream.Write(Encoding.ASCII.GetBytes(content));
            return;
        }

        File.WriteAllText(path, content, new UTF8Encoding(false));
    }
}
