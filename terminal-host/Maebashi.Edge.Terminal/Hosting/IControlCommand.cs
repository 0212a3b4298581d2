namespace Maebashi.Edge.Terminal.Hosting;

/// <summary>
/// A command of the local control socket beyond the built-in ones (route, stop, at, end, tap,
/// status): the emulation side adds <c>place</c> and <c>remove</c> this way, so the product's
/// listener knows nothing of emulated chips.
/// </summary>
public interface IControlCommand
{
    /// <summary>The first word of the command line.</summary>
    string Verb { get; }

    /// <summary>The command as the error for an unknown command lists it, e.g. <c>remove READER</c>.</summary>
    string Usage { get; }

    /// <summary>Whether this command takes that many words after the verb.</summary>
    bool Accepts(int argumentCount);

    /// <summary>Runs the command; returns the answer line (<c>ok …</c> or <c>error …</c>).</summary>
    ValueTask<string> RunAsync(TerminalRuntime terminal, IReadOnlyList<string> arguments, CancellationToken cancellationToken);
}
