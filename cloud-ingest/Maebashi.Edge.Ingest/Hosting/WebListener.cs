using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// The web host's one listener (API, console, My Page): <c>--bind</c>:<c>--http-port</c>, HTTPS (TLS 1.2 or later) with
/// <c>--https-cert</c>/<c>--https-key</c>. Off loopback the options validator has already required HTTPS or a proxy.
/// </summary>
internal static class WebListener
{
    public static void Configure(KestrelServerOptions kestrel, IngestOptions options)
    {
        IPAddress address = IPAddress.TryParse(options.HttpBind, out IPAddress? bind) ? bind : IPAddress.Loopback;
        kestrel.Listen(address, options.HttpPort, listen =>
        {
            if (options.HttpsCertFile is { } cert && options.HttpsKeyFile is { } key)
            {
                X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(cert, key);
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                });
            }
        });
    }
}
