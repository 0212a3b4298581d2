using System.CommandLine;
using Maebashi.Edge.Cli.Gtfs;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>registry check FILE</c>: the city's export, checked before an ingest loads it.
/// <c>registry import-gtfs</c>: operators' GTFS-JP routes, stops and fares merged into it.
/// </summary>
internal static class RegistryCommands
{
    public static void AddTo(RootCommand root)
    {
        var file = new Argument<string>("FILE") { Description = "registry JSON file" };
        var check = new Command("check", "check a registry file: counts per kind, or every problem (exit 1)") { file };
        check.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            try
            {
                CityRegistry registry = RegistryLoader.Load(path);
                RegistryDocument d = registry.Document;
                Console.Out.WriteLine($"registry {path}: OK");
                Console.Out.WriteLine($"  persons  {registry.PersonCount}");
                Console.Out.WriteLine($"  cards    {registry.CardCount} ({registry.Cards.Count(c => c.Lost)} lost)");
                Console.Out.WriteLine($"  devices  {d.Devices?.Count ?? 0} ({Roles(d)})");
                Console.Out.WriteLine($"  routes   {d.Routes?.Count ?? 0}");
                Console.Out.WriteLine($"  stops    {d.Routes?.Sum(r => r.Stops.Count) ?? 0}");
                Console.Out.WriteLine($"  events   {d.Events?.Count ?? 0}");
                Console.Out.WriteLine($"  clinics  {d.Clinics?.Count ?? 0}");
                Console.Out.WriteLine($"  agencies {d.Agencies?.Count ?? 0}");
                Console.Out.WriteLine($"  fare tables {d.FareTables?.Count ?? 0}");
                Console.Out.WriteLine($"  vehicles {d.Vehicles?.Count ?? 0}");
                return ExitCodes.Ok;
            }
            catch (RegistryException e)
            {
                Console.Out.WriteLine($"registry {path}: {e.Problems.Count} problem(s)");
                foreach (RegistryProblem p in e.Problems)
                {
                    Console.Out.WriteLine($"  {p}");
                }

                return ExitCodes.Problems;
            }
        });

        var registry = new Command("registry", "the city's registry export") { check, ImportGtfs() };
        root.Subcommands.Add(registry);
    }

    private static Command ImportGtfs()
    {
        var feed = new Option<string>("--feed") { Description = "the GTFS-JP feed: a zip as published, or a folder of its .txt files", Required = true };
        var input = new Option<string>("--registry") { Description = "the registry file to merge into", Required = true };
        var output = new Option<string>("--out") { Description = "where to write the merged registry (only when there is no problem)", Required = true };
        var agencies = new Option<string[]>("--agency") { Description = "import only this agency_id (repeatable); all of the feed's agencies by default", AllowMultipleArgumentsPerToken = true };
        var import = new Command("import-gtfs", "merge a GTFS-JP feed's agencies, routes, stops and fares into a registry; every problem by file, line and field (exit 1, nothing written)")
        {
            feed, input, output, agencies,
        };
        import.SetAction(parse =>
        {
            string outPath = parse.GetValue(output)!;
            GtfsImportResult result = new GtfsImport(TimeProvider.System).Run(parse.GetValue(feed)!, parse.GetValue(input)!, outPath, parse.GetValue(agencies) ?? []);
            if (result.CannotRun is { } why)
            {
                Console.Error.WriteLine($"import-gtfs: {why}");
                return ExitCodes.Usage;
            }

            foreach (string warning in result.Warnings)
            {
                Console.Out.WriteLine($"警告 / warning: {warning}");
            }

            if (result.Problems.Count > 0)
            {
                Console.Out.WriteLine($"import-gtfs: {result.Problems.Count} problem(s); nothing written");
                foreach (GtfsProblem p in result.Problems)
                {
                    Console.Out.WriteLine($"  {p}");
                }

                return ExitCodes.Problems;
            }

            Console.Out.WriteLine($"import-gtfs: wrote {outPath}: {result.Summary}");
            return ExitCodes.Ok;
        });
        return import;
    }

    private static string Roles(RegistryDocument d) =>
        string.Join(", ", (d.Devices ?? []).GroupBy(x => x.Role).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
}
