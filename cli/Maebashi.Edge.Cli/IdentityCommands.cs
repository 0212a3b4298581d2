using System.CommandLine;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli;

/// <summary><c>token</c> and <c>sector-id</c>: the identities of docs/contract.md §2 from a registry's keys.</summary>
internal static class IdentityCommands
{
    public static void AddTo(RootCommand root)
    {
        var tech = new Option<string>("--tech") { Description = "card tech: iso14443a, felica or jpki", Required = true };
        var uid = new Option<string>("--uid") { Description = "card UID in hex (IDm for FeliCa, certificate serial for jpki)", Required = true };
        var registry = RegistryOption();
        var token = new Command("token", "print the card token of a card (the registry's regionKey)") { tech, uid, registry };
        token.SetAction(parse =>
        {
            string t = parse.GetValue(tech)!;
            if (!CardTechs.TryParse(t, out CardTech cardTech))
            {
                return Fail($"--tech: unknown card tech '{t}' (expected {string.Join(", ", CardTechs.All)})");
            }

            if (!Hex.TryParse(parse.GetValue(uid), out byte[] uidBytes))
            {
                return Fail("--uid: expected an even number of hex digits");
            }

            if (CardTechs.CheckUidLength(cardTech, uidBytes.Length) is { } why)
            {
                return Fail($"--uid: {why}");
            }

            if (!TryReadKeys(parse.GetValue(registry)!, out RegistryKeys keys, out int exit) || !TryKey(keys.RegionKey, "keys.regionKey", out byte[] regionKey, out exit))
            {
                return exit;
            }

            Console.Out.WriteLine(CardToken.Compute(regionKey, cardTech, uidBytes));
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(token);

        var pid = new Option<string>("--pid") { Description = "the person's common ID", Required = true };
        var sector = new Option<string>("--sector") { Description = "transport, welfare, city or clinic:<clinicId>", Required = true };
        var registry2 = RegistryOption();
        var sectorId = new Command("sector-id", "print a person's sector ID (the registry's linkKey)") { pid, sector, registry2 };
        sectorId.SetAction(parse =>
        {
            string p = parse.GetValue(pid)!;
            string s = parse.GetValue(sector)!;
            if (string.IsNullOrWhiteSpace(p))
            {
                return Fail("--pid: empty");
            }

            if (SectorId.CheckSector(s) is { } why)
            {
                return Fail($"--sector: {why}");
            }

            if (!TryReadKeys(parse.GetValue(registry2)!, out RegistryKeys keys, out int exit) || !TryKey(keys.LinkKey, "keys.linkKey", out byte[] linkKey, out exit))
            {
                return exit;
            }

            Console.Out.WriteLine(SectorId.Compute(linkKey, p, s));
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(sectorId);
    }

    private static Option<string> RegistryOption() =>
        new("--registry") { Description = "registry file (its keys are used)", Required = true };

    /// <summary>Reads only the keys, so a token can be computed from a large or partly wrong registry.</summary>
    private static bool TryReadKeys(string path, out RegistryKeys keys, out int exit)
    {
        keys = new RegistryKeys();
        exit = ExitCodes.Ok;
        try
        {
            using FileStream stream = File.OpenRead(path);
            RegistryDocument doc = RegistryLoader.Parse(stream, path);
            if (doc.Keys is null)
            {
                exit = Fail($"{path}: keys: missing");
                return false;
            }

            keys = doc.Keys;
            return true;
        }
        catch (RegistryException e)
        {
            exit = Fail(e.Message);
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            exit = Fail($"{path}: cannot read the file: {e.Message}");
            return false;
        }
    }

    private static bool TryKey(string? hex, string field, out byte[] key, out int exit)
    {
        exit = ExitCodes.Ok;
        if (!Hex.TryParse(hex, out key))
        {
            exit = Fail($"{field}: {(string.IsNullOrEmpty(hex) ? "missing" : "bad hex")}");
            return false;
        }

        return true;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"maebashi-edge: {message}");
        return ExitCodes.Usage;
    }
}
