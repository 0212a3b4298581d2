using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Contract.Registry;

/// <summary>Loads the city's registry export (docs/contract.md §7), refusing a bad file with every problem listed.</summary>
public static class RegistryLoader
{
    /// <summary>Loads and checks a registry file; throws <see cref="RegistryException"/> listing every problem.</summary>
    public static CityRegistry Load(string path)
    {
        using FileStream stream = OpenRead(path);
        return Load(stream, path);
    }

    public static CityRegistry Load(Stream stream, string source)
    {
        RegistryDocument doc = Parse(stream, source);
        IReadOnlyList<RegistryProblem> problems = RegistryValidator.Validate(doc);
        if (problems.Count > 0)
        {
            throw new RegistryException(source, problems);
        }

        return Build(doc);
    }

    /// <summary>Reads the document only; a file that is not JSON or of the wrong shape is one problem naming the path.</summary>
    public static RegistryDocument Parse(Stream stream, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(stream, ContractJsonContext.Default.RegistryDocument)
                ?? throw new RegistryException(source, [new RegistryProblem("$", "$", "the file holds null, not a registry")]);
        }
        catch (JsonException e)
        {
            string where = e.Path ?? "$";
            string message = e.Message;
            int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }

            throw new RegistryException(source, [new RegistryProblem(where, "$", $"{message} (line {e.LineNumber + 1})")]);
        }
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException(path, [new RegistryProblem("$", "$", $"cannot read the file: {e.Message}")]);
        }
    }

    private static CityRegistry Build(RegistryDocument doc)
    {
        byte[] regionKey = Hex.Parse(doc.Keys!.RegionKey!, "keys.regionKey");
        byte[] linkKey = Hex.Parse(doc.Keys.LinkKey!, "keys.linkKey");
        List<CardDef> defs = doc.Cards ?? [];
        var cards = new CardEntry[defs.Count];

        // HMAC per card dominates loading a million cards: spread it over the cores.
        Parallel.For(0, defs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            CardDef c = defs[i];
            _ = CardTechs.TryParse(c.Tech, out CardTech tech); // validated before Build
            string token = CardToken.Compute(regionKey, tech, Hex.Parse(c.Uid, "uid"));
            cards[i] = new CardEntry(token, tech, c.Pid, c.Status == CardStatuses.Lost, c.Auth == CardAuthKinds.Ntag424Sun, c.KeyVersion);
        });

        // The cloud keeps tokens, never UIDs: drop the card list (and its UIDs) once tokens exist.
        doc.Cards = null;
        return CityRegistry.Loaded(doc, regionKey, linkKey, cards);
    }
}
