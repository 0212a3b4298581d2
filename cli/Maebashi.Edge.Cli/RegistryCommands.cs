using System.CommandLine;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli;

/// <summary><c>registry check FILE</c>: the city's export, checked before an ingest loads it.</summary>
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

        var registry = new Command("registry", "the city's registry export") { check };
        root.Subcommands.Add(registry);
    }

    private static string Roles(RegistryDocument d) =>
        string.Join(", ", (d.Devices ?? []).GroupBy(x => x.Role).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"));
}
