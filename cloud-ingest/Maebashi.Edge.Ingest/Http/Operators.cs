using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>An operator of the HTTP API with one scope: transport, welfare, clinic:&lt;id&gt; or admin.</summary>
public sealed record Operator(string Name, string Token, string Scope)
{
    public const string Admin = "admin";

    public bool IsAdmin => Scope == Admin;
}

public sealed class OperatorsFileException(string message) : Exception(message);

/// <summary>The operators file: <c>[{"name", "token", "scope"}]</c> (docs/contract.md §6).</summary>
public static class OperatorsFile
{
    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web);

    private sealed class Row
    {
        public string? Name { get; set; }
        public string? Token { get; set; }
        public string? Scope { get; set; }
    }

    public static IReadOnlyList<Operator> Load(string path, CityRegistry registry)
    {
        Row[]? rows;
        try
        {
            rows = JsonSerializer.Deserialize<Row[]>(File.ReadAllBytes(path), FileOptions);
        }
        catch (JsonException e)
        {
            throw new OperatorsFileException($"{path}: not an array of {{\"name\", \"token\", \"scope\"}}: {e.Message}");
        }

        if (rows is null || rows.Length == 0)
        {
            throw new OperatorsFileException($"{path}: no operators (expected [{{\"name\", \"token\", \"scope\"}}, …])");
        }

        var ops = new List<Operator>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Length; i++)
        {
            Row r = rows[i];
            string where = $"{path}: [{i}]";
            if (string.IsNullOrWhiteSpace(r.Name))
            {
                throw new OperatorsFileException($"{where}.name: missing");
            }

            if (string.IsNullOrEmpty(r.Token) || r.Token.Length < 16)
            {
                throw new OperatorsFileException($"{where}.token: missing or shorter than 16 characters");
            }

            if (!tokens.Add(r.Token))
            {
                throw new OperatorsFileException($"{where}.token: the same token as an earlier operator");
            }

            string? why = r.Scope switch
            {
                null or "" => "missing",
                Operator.Admin or SectorId.Transport or SectorId.Welfare => null,
                _ when r.Scope.StartsWith(SectorId.ClinicPrefix, StringComparison.Ordinal) =>
                    registry.FindClinic(r.Scope[SectorId.ClinicPrefix.Length..]) is null ? $"no clinic '{r.Scope[SectorId.ClinicPrefix.Length..]}' in the registry" : null,
                _ => $"unknown scope '{r.Scope}' (expected transport, welfare, clinic:<clinicId> or admin)",
            };
            if (why is not null)
            {
                throw new OperatorsFileException($"{where}.scope: {why}");
            }

            ops.Add(new Operator(r.Name, r.Token, r.Scope!));
        }

        return ops;
    }

    /// <summary>Without an operators file: one admin with a fresh random token (printed once at start).</summary>
    public static Operator GenerateAdmin() =>
        new("admin", Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_'), Operator.Admin);

    /// <summary>The operator holding the bearer token, compared in constant time.</summary>
    public static Operator? Find(IReadOnlyList<Operator> operators, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        byte[] given = Encoding.UTF8.GetBytes(token);
        Operator? found = null;
        foreach (Operator op in operators)
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(op.Token)))
            {
                found = op;
            }
        }

        return found;
    }
}
