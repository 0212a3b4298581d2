using System.CommandLine;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Store.Postgres;
using Npgsql;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// <c>registry import</c>: puts a new registry export into a PostgreSQL store (docs/ingest.md, "The registry in
/// PostgreSQL"), once, under a lock, so that the workers read it at their next start instead of each parsing the file.
/// Prints one line: <c>registry sha256=… persons=… cards=… applied=true|false</c>.
/// </summary>
public static class IngestRegistryCommand
{
    /// <param name="program">The name errors are prefixed with (the executable the user ran).</param>
    public static Command Create(string program)
    {
        var registry = new Option<string>("--registry") { Description = "the city's registry export (docs/contract.md §7)", Required = true };
        var store = new Option<string>("--store") { Description = "postgresql://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…] (libpq's URI)", Required = true };
        var storePassFile = new Option<string?>("--store-pass-file") { Description = "owner-only file holding the PostgreSQL password (else the URI's, or PGPASSFILE)" };
        var import = new Command("import", "import a registry export into a PostgreSQL store; its workers run with it from their next start") { registry, store, storePassFile };
        import.SetAction(parse =>
        {
            var options = new IngestOptions { RegistryPath = parse.GetValue(registry), Store = parse.GetValue(store)!, StorePassFile = parse.GetValue(storePassFile) };
            try
            {
                if (IngestStoreOption.PostgresSettings(options, Environment.GetEnvironmentVariable("PGPASSFILE")) is not { } settings)
                {
                    return Fail(program, "--store: a LiteDB ingest reads --registry at each start; import is for a postgresql:// store");
                }

                using var storeOpened = new PostgresIngestStore(settings);
                // An operator's import: any file, an export a later one replaced too (a deliberate rollback).
                RegistryImport result = storeOpened.Registry.Import(options.RegistryPath!, replacedToo: true);
                Console.Out.WriteLine($"registry sha256={result.Sha256} persons={result.Persons} cards={result.Cards} applied={(result.Applied ? "true" : "false")}");
                return (int)IngestExitCode.Ok;
            }
            catch (RegistryException e)
            {
                Console.Error.WriteLine($"{program}: registry {options.RegistryPath}: {e.Problems.Count} problem(s); the store keeps the registry it had");
                foreach (RegistryProblem p in e.Problems)
                {
                    Console.Error.WriteLine($"  {p}");
                }

                return (int)IngestExitCode.Problems;
            }
            catch (StoreOptionException e)
            {
                return Fail(program, e.Message);
            }
            catch (StoreSchemaException e)
            {
                return Fail(program, e.Message);
            }
            catch (NpgsqlException e)
            {
                return Fail(program, $"--store {IngestStoreOption.Describe(options)}: {e.Message}");
            }
        });
        return new Command("registry", "the registry a PostgreSQL store holds") { import };
    }

    private static int Fail(string program, string message)
    {
        Console.Error.WriteLine($"{program}: {message}");
        return (int)IngestExitCode.Usage;
    }
}
