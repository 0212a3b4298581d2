using System.CommandLine;
using Maebashi.Edge.Ingest.Hosting;

namespace Maebashi.Edge.Cli;

/// <summary><c>ingest run</c>: the same verb as the deployable's <c>maebashi-ingest run</c> (<see cref="IngestRunCommand"/>).</summary>
internal static class IngestCommands
{
    public static void AddTo(RootCommand root) =>
        root.Subcommands.Add(new Command("ingest", "the cloud ingest service") { IngestRunCommand.Create("maebashi-edge") });
}
