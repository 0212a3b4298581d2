using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Contract.Security;
using MQTTnet;

namespace Maebashi.Edge.Ingest.Mqtt;

/// <summary>
/// TLS from the ingest to an external broker (<c>--broker mqtts://…</c>, docs/contract.md §9): the broker's certificate
/// is checked as a terminal checks it (<see cref="BrokerCertificatePolicy"/>), against <c>--broker-ca</c>; the ingest
/// presents its own client certificate where the broker requires one.
/// </summary>
public sealed record ExternalBrokerTls(string? CaFile, string? ClientCertFile, string? ClientKeyFile)
{
    internal void Configure(MqttClientTlsOptionsBuilder tls, string host, TimeProvider time, Action<string> refused)
    {
        X509Certificate2Collection? authorities = null;
        X509Certificate2? client = null;
        try
        {
            if (CaFile is not null)
            {
                authorities = BrokerCertificatePolicy.LoadAuthorities(CaFile);
            }

            if (ClientCertFile is not null && ClientKeyFile is not null)
            {
                client = X509Certificate2.CreateFromPemFile(ClientCertFile, ClientKeyFile);
            }
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"--broker-ca / --broker-client-cert / --broker-client-key: not a usable certificate ({e.Message})", e);
        }

        tls.UseTls();
        tls.WithTargetHost(host);
        tls.WithSslProtocols(BrokerCertificatePolicy.Protocols);
        if (client is not null)
        {
            tls.WithClientCertificates([client]);
        }

        Func<X509Certificate?, System.Net.Security.SslPolicyErrors, bool> accept =
            BrokerCertificatePolicy.Validator(authorities, time, host, "--broker-ca", refused);
        tls.WithCertificateValidationHandler(args => accept(args.Certificate, args.SslPolicyErrors));
    }
}
