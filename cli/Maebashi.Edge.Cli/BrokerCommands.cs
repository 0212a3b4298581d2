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
        var bind = new Option<string>("--bind") { Description = "listener address (loopback unless told otherwise; use TLS off loopback)", DefaultValueFactory = _ => "127.0.0.1" };
        var ingestUser = new Option<string>("--ingest-user") { Description = "the ingest's broker user", DefaultValueFactory = _ => "ingest" };
        var runAs = new Option<string>("--run-as") { Description = "user Mosquitto drops to when started as root", DefaultValueFactory = _ => "mosquitto" };
        var config = new Command("mosquitto-config", "write a Mosquitto 2.0 configuration: per-device passwords, topic ACL, persistence, no silent drops")
        {
            registry, outDir, port, bind, ingestUser, runAs,
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
