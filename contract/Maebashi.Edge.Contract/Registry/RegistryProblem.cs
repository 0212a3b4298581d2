namespace Maebashi.Edge.Contract.Registry;

/// <summary>One problem in a registry file: which entry, which field, what is wrong. Never carries a UID or key.</summary>
public sealed class RegistryProblem(string entry, string field, string message)
{
    /// <summary>E.g. <c>cards[3]</c> or <c>persons[12] (pid P0013)</c>.</summary>
    public string Entry { get; } = entry;

    public string Field { get; } = field;
    public string Message { get; } = message;

    public override string ToString() => $"{Entry}.{Field}: {Message}";
}

/// <summary>Thrown when a registry cannot be loaded; lists every problem found.</summary>
public sealed class RegistryException(string source, IReadOnlyList<RegistryProblem> problems)
    : Exception($"registry {source} has {problems.Count} problem(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems))
{
    public IReadOnlyList<RegistryProblem> Problems { get; } = problems;
}
