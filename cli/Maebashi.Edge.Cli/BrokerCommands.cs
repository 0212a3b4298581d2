using System.CommandLine;
using Maebashi.Edge.Broker;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli;

/// <summary><c>broker mosquitto-config</c>: Mosquitto as the production broker (docs/contract.md §8, §9).</summary>
internal static class BrokerCommands
{
    public static void AddTo(RootCommand root)
    {
        var registry = new Option<string>("--registry") { Description = "registry file (devices and their keys)", Required = true };
        var outDir = new Option<string>("--out") { Description = "directory to write mosquitto.conf, passwd, acl, ingest.pass", Required = true };
        var port = new Option<int>("--port") { Description = "listener port", DefaultValueFactory = _ => 1883 };
        var bind = new Option<string>("--bind") { Description = "where devices connect (loopback unless told otherwise; off loopback only with TLS)", DefaultValueFactory = _ => "127.0.0.1" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "the broker's server certificate (PEM): adds a TLS listener for the devices" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "the server certificate's private key (PEM)" };
        var tlsCa = new Option<string?>("--tls-ca") { Description = "the CA of the devices' client certificates (PEM)" };
        var tlsPort = new Option<int>("--tls-port") { Description = "the TLS listener's port", DefaultValueFactory = _ => 8883 };
        var requireClientCert = new Option<bool>("--require-client-cert") { Description = "each device presents a client certificate; its CN (the device id) is its user name" };
        var ingestUser = new Option<string>("--ingest-user") { Description = "the ingest's broker user", DefaultValueFactory = _ => "ingest" };
        var runAs = new Option<string>("--run-as") { Description = "user Mosquitto drops to when started as root", DefaultValueFactory = _ => "mosquitto" };
        var config = new Command("mosquitto-config", "write a Mosquitto 2.0 configuration: per-device passwords, topic ACL, persistence, no silent drops")
        {
            registry, outDir, port, bind, ingestUser, runAs, tlsCert, tlsKey, tlsCa, tlsPort, requireClientCert,
        };
        config.SetAction(parse =>
        {
            try
            {
                CityRegistry r = RegistryLoader.Load(parse.GetValue(registry)!);
                MosquittoConfigFiles files = MosquittoConfigWriter.Write(r, new MosquittoConfigOptions
                {
                    OutDir = parse.GetValue(outDir)!,
                    Port = parse.GetValue(port),
                    BindAddress = parse.GetValue(bind)!,
                    IngestUser = parse.GetValue(ingestUser)!,
                    RunAsUser = parse.GetValue(runAs)!,
                    TlsCertFile = parse.GetValue(tlsCert),
                    TlsKeyFile = parse.GetValue(tlsKey),
                    TlsCaFile = parse.GetValue(tlsCa),
                    TlsPort = parse.GetValue(tlsPort),
                    RequireClientCertificate = parse.GetValue(requireClientCert),
                });
                Console.Out.WriteLine($"wrote {files.Config}");
                Console.Out.WriteLine($"      {files.PasswordFile} ({files.Devices} devices + ingest user)");
                Console.Out.WriteLine($"      {files.AclFile}");
                Console.Out.WriteLine($"      {files.IngestPasswordFile} (give it to: maebashi-edge ingest run --broker-pass-file)");
                Console.Out.WriteLine($"start: mosquitto -c {files.Config}   (files must belong to the user Mosquitto runs as)");
                return ExitCodes.Ok;
            }
            catch (RegistryException e)
            {
                Console.Error.WriteLine($"maebashi-edge: {e.Message}");
                return ExitCodes.Problems;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"maebashi-edge: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        root.Subcommands.Add(new Command("broker", "the production MQTT broker") { config });
    }
}
