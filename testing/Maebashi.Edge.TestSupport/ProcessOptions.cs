namespace Maebashi.Edge.TestSupport;

/// <summary>How a child process is started beyond its program and arguments.</summary>
public sealed record ProcessOptions
{
    /// <summary>Variables set (or replaced) in the child's environment, on top of ours.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The child's working directory; ours when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Written to the standard input of a program run to its end (<see cref="ProcessRunner"/>), which is then closed;
    /// when null the child's input is ours.
    /// </summary>
    public string? StandardInput { get; init; }
}
