using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// The operators the HTTP API knows: those of the operators file, or one admin with a token made at start
/// when no file was given (that token is printed once on stdout by <c>run</c>).
/// </summary>
public sealed class OperatorDirectory
{
    private OperatorDirectory(IReadOnlyList<Operator> operators, string? generatedAdminToken)
    {
        Operators = operators;
        GeneratedAdminToken = generatedAdminToken;
    }

    public IReadOnlyList<Operator> Operators { get; }

    /// <summary>The admin token made at start when no operators file was given.</summary>
    public string? GeneratedAdminToken { get; }

    /// <exception cref="OperatorsFileException">The file is not a valid operators file for this registry.</exception>
    public static OperatorDirectory Load(string? operatorsPath, CityRegistry registry)
    {
        if (operatorsPath is not null)
        {
            return new OperatorDirectory(OperatorsFile.Load(operatorsPath, registry), null);
        }

        Operator admin = OperatorsFile.GenerateAdmin();
        return new OperatorDirectory([admin], admin.Token);
    }

    /// <summary>The operator holding the bearer token, or null.</summary>
    public Operator? Find(string? token) => OperatorsFile.Find(Operators, token);

    /// <summary>The operator of that name (names are unique in the file), or null.</summary>
    public Operator? FindByName(string name) => Operators.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal));
}
