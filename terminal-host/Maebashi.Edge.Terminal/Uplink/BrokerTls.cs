using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Contract.Security;
using Maebashi.Edge.Terminal.Config;
using MQTTnet;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// TLS to the broker (docs/contract.md §9): the broker's certificate must chain to the CA in <c>Broker:CaFile</c> (the
/// system's trust store when none is given), be valid now and name <c>Broker:Host</c>; the terminal presents its own
/// client certificate when one is configured. A refusal is named (<see cref="Problem"/>), for the log and for doctor.
/// </summary>
internal static class BrokerTls
{
    /// <summary>Loads the configured CA and client certificate; throws with the option's name when a file is unusable.</summary>
    public static (X509Certificate2Collection? Authorities, X509Certificate2? Client) Load(TerminalOptions options)
    {
        BrokerOptions b = options.Broker;
        X509Certificate2Collection? authorities = null;
        if (b.CaFile is { Length: > 0 } ca)
        {
            try
            {
                authorities = BrokerCertificatePolicy.LoadAuthorities(options.Resolve(ca));
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new InvalidOperationException($"Broker:CaFile: {options.Resolve(ca)} is not a certificate ({e.Message})", e);
            }
        }

        X509Certificate2? client = null;
        if (b.ClientCertFile is { Length: > 0 } certFile && b.ClientKeyFile is { Length: > 0 } keyFile)
        {
            try
            {
                client = X509Certificate2.CreateFromPemFile(options.Resolve(certFile), options.Resolve(keyFile));
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new InvalidOperationException($"Broker:ClientCertFile/ClientKeyFile: not a certificate and its key ({e.Message})", e);
            }
        }

        return (authorities, client);
    }

    /// <summary>
    /// Sets up the TLS of a connection to the broker; <paramref name="refused"/> gets each named refusal and
    /// <paramref name="accepted"/> (doctor) the broker's certificate once it is accepted.
    /// </summary>
    public static void Configure(MqttClientTlsOptionsBuilder tls, TerminalOptions options, TimeProvider time, Action<string> refused,
        Action<X509Certificate2>? accepted = null)
    {
        (X509Certificate2Collection? authorities, X509Certificate2? client) = Load(options);
        tls.UseTls();
        tls.WithTargetHost(options.Broker.Host);
        tls.WithSslProtocols(BrokerCertificatePolicy.Protocols);
        if (client is not null)
        {
            tls.WithClientCertificates([client]);
        }

        Func<X509Certificate?, SslPolicyErrors, bool> accept =
            BrokerCertificatePolicy.Validator(authorities, time, options.Broker.Host, "Broker:CaFile", refused, accepted);
        tls.WithCertificateValidationHandler(args => accept(args.Certificate, args.SslPolicyErrors));
    }

    /// <summary>Why the broker's certificate is refused, or null when it is good.</summary>
    public static string? Problem(X509Certificate2 server, SslPolicyErrors errors, X509Certificate2Collection? authorities, DateTimeOffset now, string host) =>
        BrokerCertificatePolicy.Problem(server, errors, authorities, now, host, "Broker:CaFile");

    /// <summary>A certificate ending within this is reported by doctor (rotation takes a visit to each bus).</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    /// <summary>Days until the certificate ends (negative once it has).</summary>
    public static double DaysLeft(X509Certificate2 certificate, DateTimeOffset now) => (certificate.NotAfter.ToUniversalTime() - now.UtcDateTime).TotalDays;
}
