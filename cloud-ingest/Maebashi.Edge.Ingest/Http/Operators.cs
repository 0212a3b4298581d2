using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// An operator with one scope (transport, welfare, clinic:&lt;id&gt; or admin): a bearer token for the API, a
/// password hash (<see cref="PasswordHash"/>) for the console, or both.
/// </summary>
public sealed record Operator(string Name, string? Token, string Scope, string? PasswordHash = null)
{
    public const string Admin = "admin";

    public bool IsAdmin => Scope == Admin;

    /// <summary>Name and scope only: a record's default text would carry the token and the hash into any log.</summary>
    public override string ToString() => $"{Name} ({Scope})";
}

public sealed class OperatorsFileException(string message) : Exception(message);

/// <summary>The operators file: <c>[{"name", "scope", "token"?, "passwordHash"?}]</c> (docs/contract.md §6).</summary>
public static class OperatorsFile
{
    /// <summary>What an entry looks like, for error messages.</summary>
    public const string Shape = "{\"name\", \"scope\", \"token\"?, \"passwordHash\"?}";

    private const int MinTokenLength = 16;

    private const int MaxNameLength = 100;

    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web);

    private sealed class Row
    {
        public string? Name { get; set; }
        public string? Token { get; set; }
        public string? Scope { get; set; }
        public string? PasswordHash { get; set; }
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
            throw new OperatorsFileException($"{path}: not an array of {Shape}: {e.Message}");
        }

        if (rows is null || rows.Length == 0)
        {
            throw new OperatorsFileException($"{path}: no operators (expected [{Shape}, …])");
        }

        var ops = new List<Operator>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Length; i++)
        {
            Row r = rows[i];
            string where = $"{path}: [{i}]";
            if (NameProblem(r.Name) is { } badName)
            {
                throw new OperatorsFileException($"{where}.name: {badName}");
            }

            if (!names.Add(r.Name!))
            {
                throw new OperatorsFileException($"{where}.name: the same name as an earlier operator");
            }

            if (r.Token is null && r.PasswordHash is null)
            {
                throw new OperatorsFileException($"{where}: neither a token nor a passwordHash (the operator could not sign in)");
            }

            if (r.Token is not null && r.Token.Length < MinTokenLength)
            {
                throw new OperatorsFileException($"{where}.token: shorter than {MinTokenLength} characters");
            }

            if (r.Token is not null && !tokens.Add(r.Token))
            {
                throw new OperatorsFileException($"{where}.token: the same token as an earlier operator");
            }

            if (r.PasswordHash is not null && !Http.PasswordHash.IsValid(r.PasswordHash, out string? badHash))
            {
                throw new OperatorsFileException($"{where}.passwordHash: {badHash}");
            }

            if (ScopeProblem(r.Scope, registry) is { } why)
            {
                throw new OperatorsFileException($"{where}.scope: {why}");
            }

            ops.Add(new Operator(r.Name!, r.Token, r.Scope!, r.PasswordHash));
        }

        return ops;
    }

    /// <summary>What is wrong with an operator's name, or null.</summary>
    public static string? NameProblem(string? name) => name switch
    {
        null => "missing",
        _ when string.IsNullOrWhiteSpace(name) => "missing",
        _ when name.Length > MaxNameLength => $"longer than {MaxNameLength} characters",
        _ when name.Any(char.IsControl) => "contains a control character",
        _ => null,
    };

    /// <summary>
    /// What is wrong with a scope, or null. Without a registry a <c>clinic:&lt;id&gt;</c> scope is checked for its form
    /// only (the ingest checks the clinic against its registry at start).
    /// </summary>
    public static string? ScopeProblem(string? scope, CityRegistry? registry) => scope switch
    {
        null or "" => "missing",
        Operator.Admin or SectorId.Transport or SectorId.Welfare => null,
        _ when scope.StartsWith(SectorId.ClinicPrefix, StringComparison.Ordinal) && scope.Length > SectorId.ClinicPrefix.Length =>
            registry is not null && registry.FindClinic(scope[SectorId.ClinicPrefix.Length..]) is null
                ? $"no clinic '{scope[SectorId.ClinicPrefix.Length..]}' in the registry"
                : null,
        _ => $"unknown scope '{scope}' (expected transport, welfare, clinic:<clinicId> or admin)",
    };

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
            if (op.Token is not null && CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(op.Token)))
            {
                found = op;
            }
        }

        return found;
    }
}
