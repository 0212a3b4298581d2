using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// The operators the HTTP API and the console know. With an operators file, the file is the source of truth: at start
/// its operators replace the store's (<see cref="IConsoleStateStore.ReplaceOperators"/>), and every request reads them
/// from the store, so a worker started with a new file brings every running worker up to date (docs/ingest.md,
/// "Operators"). Without a file: one admin with a token made at start, this process's only (that token is printed once
/// on stdout by <c>run</c>), and the store's operators are left as they are.
/// </summary>
public sealed class OperatorDirectory
{
    private readonly IConsoleStateStore? _store;
    private readonly IReadOnlyList<Operator> _generated;

    private OperatorDirectory(IConsoleStateStore? store, IReadOnlyList<Operator> generated, string? generatedAdminToken)
    {
        _store = store;
        _generated = generated;
        GeneratedAdminToken = generatedAdminToken;
    }

    /// <summary>The operators now: the store's (any worker's file), or the admin made at start.</summary>
    public IReadOnlyList<Operator> Operators => _store?.Operators() ?? _generated;

    /// <summary>The admin token made at start when no operators file was given.</summary>
    public string? GeneratedAdminToken { get; }

    /// <summary>Checks the file against the registry and, when it is valid, makes its operators the store's.</summary>
    /// <param name="openStore">Called only once the file is found valid: a bad file stops the start before the store opens.</param>
    /// <exception cref="OperatorsFileException">The file is not a valid operators file for this registry.</exception>
    public static OperatorDirectory Load(string? operatorsPath, CityRegistry registry, Func<IConsoleStateStore> openStore)
    {
        ArgumentNullException.ThrowIfNull(openStore);
        if (operatorsPath is not null)
        {
            IReadOnlyList<Operator> fromFile = OperatorsFile.Load(operatorsPath, registry);
            IConsoleStateStore store = openStore();
            store.ReplaceOperators(fromFile);
            return new OperatorDirectory(store, [], null);
        }

        Operator admin = OperatorsFile.GenerateAdmin();
        return new OperatorDirectory(null, [admin], admin.Token);
    }

    /// <summary>The operator holding the bearer token, or null.</summary>
    public Operator? Find(string? token) => OperatorsFile.Find(Operators, token);

    /// <summary>The operator of that name (names are unique), or null.</summary>
    public Operator? FindByName(string name) => Operators.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal));
}
