using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// Changes to an operators file made by <c>./maebashi-edge operators add|passwd</c>: the entry's other members
/// (a token) are kept, the file is replaced in one rename and stays readable by its owner only.
/// The running ingest reads the file at start.
/// </summary>
public static class OperatorsFileEditor
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Adds an operator with a password; the file is created when missing.</summary>
    /// <exception cref="OperatorsFileException">A bad file, name or scope, or the name is taken.</exception>
    public static void Add(string path, string name, string scope, string passwordHash)
    {
        if (OperatorsFile.NameProblem(name) is { } badName)
        {
            throw new OperatorsFileException($"--name: {badName}");
        }

        if (OperatorsFile.ScopeProblem(scope, registry: null) is { } badScope)
        {
            throw new OperatorsFileException($"--scope: {badScope}");
        }

        JsonArray rows = File.Exists(path) ? Read(path) : [];
        if (IndexOf(rows, name) >= 0)
        {
            throw new OperatorsFileException($"{path}: an operator named '{name}' is already there (operators passwd changes a password)");
        }

        rows.Add(new JsonObject { ["name"] = name, ["scope"] = scope, ["passwordHash"] = passwordHash });
        Write(path, rows);
    }

    /// <summary>Sets the password of an operator of the file.</summary>
    /// <exception cref="OperatorsFileException">A bad file, or no operator of that name.</exception>
    public static void SetPassword(string path, string name, string passwordHash)
    {
        JsonArray rows = Read(path);
        int i = IndexOf(rows, name);
        if (i < 0)
        {
            throw new OperatorsFileException($"{path}: no operator named '{name}'");
        }

        rows[i]!["passwordHash"] = passwordHash;
        Write(path, rows);
    }

    /// <summary>Whether the file has an operator of that name.</summary>
    /// <exception cref="OperatorsFileException">A bad file.</exception>
    public static bool Has(string path, string name) => IndexOf(Read(path), name) >= 0;

    private static JsonArray Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path)) is JsonArray a && a.All(r => r is JsonObject)
                ? a
                : throw new OperatorsFileException($"{path}: not an array of {OperatorsFile.Shape}");
        }
        catch (JsonException e)
        {
            throw new OperatorsFileException($"{path}: not JSON: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperatorsFileException($"{path}: cannot read: {e.Message}");
        }
    }

    private static int IndexOf(JsonArray rows, string name)
    {
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i]?["name"] is JsonValue v && v.TryGetValue(out string? n) && n == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static void Write(string path, JsonArray rows)
    {
        try
        {
            // Password hashes and tokens: readable by the owner only, like the ingest's other secrets.
            Store.DurableJsonFile.Write(path, rows, Indented, ownerOnly: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OperatorsFileException($"{path}: cannot write: {e.Message}");
        }
    }
}
