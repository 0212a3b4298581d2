using System.CommandLine;
using Maebashi.Edge.Ingest.Hosting;

// maebashi-ingest: the cloud ingest as deployed (systemd runs `maebashi-ingest run …`, docs/ingest.md).
var root = new RootCommand("Maebashi Edge cloud ingest: broker, pipeline, store, HTTP API (前橋 共通IDカード)")
{
    IngestRunCommand.Create("maebashi-ingest"),
    IngestRegistryCommand.Create("maebashi-ingest"),
};
return await root.Parse(args).InvokeAsync();
