using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Emulation;

/// <summary>Plugs the emulation side into a terminal and finds its emulated readers.</summary>
public static class TerminalEmulation
{
    /// <summary>
    /// Adds the <c>emulated:KIND</c> reader driver and the control socket's <c>place</c>/<c>remove</c>
    /// to the parts a terminal is made with.
    /// </summary>
    public static TerminalParts AddEmulation(this TerminalParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        parts.ReaderFactories.Add(new EmulatedReaderTapSourceFactory());
        parts.ControlCommands.Add(new PlaceCardCommand());
        parts.ControlCommands.Add(new RemoveCardCommand());
        return parts;
    }

    /// <summary>The emulated reader of that name (driver <c>emulated:KIND</c>): place and remove cards on its field.</summary>
    public static EmulatedReaderTapSource Emulated(this TerminalRuntime terminal, string name)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        return terminal.Sources.OfType<EmulatedReaderTapSource>().FirstOrDefault(s => s.Name == name)
            ?? throw new KeyNotFoundException($"no emulated reader named {name}");
    }
}
