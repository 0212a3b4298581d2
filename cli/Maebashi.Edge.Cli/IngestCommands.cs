using System.CommandLine;
using Maebashi.Edge.Ingest.Hosting;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>ingest run</c> and <c>ingest registry import</c>: the same verbs as the deployable's <c>maebashi-ingest run</c>
/// (<see cref="IngestRunCommand"/>) and <c>maebashi-ingest registry import</c> (<see cref="IngestRegistryCommand"/>).
/// </summary>
internal static class IngestCommands
{
    public static void AddTo(RootCommand root) =>
        root.Subcommands.Add(new Command("ingest", "the cloud ingest service") { IngestRunCommand.Create("maebashi-edge"), IngestRegistryCommand.Create("maebashi-edge") });
}
