using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Maebashi.Edge.Contract.Security;

/// <summary>
/// What a client of the broker accepts as the broker's certificate (docs/contract.md §9), the same for a terminal and
/// the ingest: valid at the time, naming the host the client connects to, and chaining to the configured CA (the
/// system's trusted CAs when none is). Each refusal is named, with the client's own setting in it.
/// </summary>
public static class BrokerCertificatePolicy
{
    /// <summary>TLS 1.2 or later, for every client of the broker.</summary>
    public const System.Security.Authentication.SslProtocols Protocols =
        System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;

    /// <summary>
    /// The check a client's TLS stack calls with the broker's certificate: true to accept it; a refusal goes to
    /// <paramref name="refused"/> by name, an accepted certificate (a copy the receiver disposes) to <paramref name="accepted"/>.
    /// </summary>
    public static Func<X509Certificate?, SslPolicyErrors, bool> Validator(X509Certificate2Collection? authorities, TimeProvider time, string host, string caSetting,
        Action<string> refused, Action<X509Certificate2>? accepted = null) => (certificate, errors) =>
    {
        if (certificate is null)
        {
            refused("the broker presented no certificate");
            return false;
        }

        using var server = new X509Certificate2(certificate);
        if (Problem(server, errors, authorities, time.GetUtcNow(), host, caSetting) is { } problem)
        {
            refused(problem);
            return false;
        }

        accepted?.Invoke(new X509Certificate2(certificate));
        return true;
    };

    /// <summary>
    /// The CA certificates of a PEM file: one, or several while a CA is rotated (old and new side by side, as Mosquitto's
    /// <c>cafile</c> takes them).
    /// </summary>
    /// <exception cref="CryptographicException">The file holds no certificate.</exception>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(path);
        return authorities.Count > 0 ? authorities : throw new CryptographicException($"{path} holds no PEM certificate");
    }

    /// <param name="server">The broker's certificate.</param>
    /// <param name="errors">What the TLS stack found (the name check; its chain check against the system store).</param>
    /// <param name="authorities">The configured CAs (one, or the old and the new one while a CA is rotated), or null for the system's trust store.</param>
    /// <param name="now">The time the certificate must be valid at.</param>
    /// <param name="host">The host name the client connects to.</param>
    /// <param name="caSetting">The client's name for its CA setting (<c>Broker:CaFile</c>, <c>--broker-ca</c>).</param>
    /// <returns>Why the certificate is refused, or null when it is accepted.</returns>
    public static string? Problem(X509Certificate2 server, SslPolicyErrors errors, X509Certificate2Collection? authorities, DateTimeOffset now, string host, string caSetting)
    {
        if (now < server.NotBefore.ToUniversalTime() || now > server.NotAfter.ToUniversalTime())
        {
            return $"the broker's certificate is not valid now (valid {server.NotBefore.ToUniversalTime():yyyy-MM-dd} to {server.NotAfter.ToUniversalTime():yyyy-MM-dd})";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"the broker's certificate is not for the host name {host}: it names {server.GetNameInfo(X509NameType.DnsName, forIssuer: false)}";
        }

        if (authorities is null)
        {
            return errors == SslPolicyErrors.None ? null : $"the broker's certificate does not chain to the system's trusted CAs (set {caSetting})";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        return chain.Build(server) ? null : $"the broker's certificate is not signed by the CA in {caSetting} ({string.Join(", ", authorities.Select(a => a.Subject))})";
    }
}
