using System.CommandLine;
using Maebashi.Edge.Broker.Tls;

namespace Maebashi.Edge.Cli;

/// <summary><c>tls dev-ca</c>: a private CA with a server certificate and device certificates, for tests and pilots.</summary>
internal static class TlsCommands
{
    public static void AddTo(RootCommand root)
    {
        var outDir = new Option<string>("--out") { Description = "directory to write ca.crt, ca.key, server.crt, server.key and clients/ID.crt|key", Required = true };
        var hosts = new Option<string[]>("--hosts")
        {
            Description = "names and addresses of the broker / console server certificate",
            DefaultValueFactory = _ => ["localhost", "127.0.0.1"],
            AllowMultipleArgumentsPerToken = true,
        };
        var devices = new Option<string[]>("--devices")
        {
            Description = "device ids (and the ingest's broker user) that get a client certificate, CN = the id",
            DefaultValueFactory = _ => [],
            AllowMultipleArgumentsPerToken = true,
        };
        var days = new Option<int>("--days") { Description = "validity of the server and client certificates", DefaultValueFactory = _ => 365 };
        var devCa = new Command("dev-ca", "make a private CA, a server certificate and per-device client certificates (for tests and pilots only: a city uses its own CA)")
        {
            outDir, hosts, devices, days,
        };
        devCa.SetAction(parse =>
        {
            try
            {
                DevCaFiles files = DevCertificateAuthority.Write(new DevCaOptions
                {
                    OutDir = parse.GetValue(outDir)!,
                    Hosts = [.. parse.GetValue(hosts)!.SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                    Clients = [.. parse.GetValue(devices)!.SelectMany(d => d.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                    Validity = TimeSpan.FromDays(Math.Max(0, parse.GetValue(days))),
                });
                Console.Out.WriteLine($"wrote {files.CaCertificate} (give it to the devices and the ingest: --ca-file, --broker-ca)");
                Console.Out.WriteLine($"      {files.CaKey.Key} (owner-only; keep it off the servers)");
                Console.Out.WriteLine($"      {files.Server.Certificate}, {files.Server.Key} (the broker: --tls-cert, --tls-key)");
                foreach ((string id, PemPair pair) in files.Clients.OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    Console.Out.WriteLine($"      {pair.Certificate}, {pair.Key} ({id})");
                }

                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"maebashi-edge: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        root.Subcommands.Add(new Command("tls", "TLS material for the broker, the devices and the console") { devCa });
    }
}
