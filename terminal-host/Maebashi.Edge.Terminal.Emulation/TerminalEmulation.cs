using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Emulation;

/// <summary>Plugs the emulation side into a terminal and finds its emulated readers.</summary>
public static class TerminalEmulation
{
    /// <summary>
    /// Adds the <c>emulated:KIND</c> reader driver, the emulated PIN keypad (on the pins <c>Keypad:</c> gives) and the
    /// control socket's <c>place</c>/<c>remove</c>/<c>keys</c> to the parts a terminal is made with; with
    /// <paramref name="myNumberAuthority"/>, also <c>mynumber</c>, which holds cards that authority issued.
    /// </summary>
    public static TerminalParts AddEmulation(this TerminalParts parts, JpkiTestAuthority? myNumberAuthority = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        parts.ReaderFactories.Add(new EmulatedReaderTapSourceFactory());
        parts.ControlCommands.Add(new PlaceCardCommand());
        parts.ControlCommands.Add(new RemoveCardCommand());
        var keypads = new EmulatedKeypads();
        parts.KeypadGpio ??= keypads.Open;
        parts.ControlCommands.Add(new PressKeysCommand(keypads));
        if (myNumberAuthority is not null)
        {
            parts.ControlCommands.Add(new PlaceMyNumberCommand(new MyNumberCards(myNumberAuthority, parts.Time)));
        }

        return parts;
    }

    /// <summary>The emulated PIN keypad of a terminal made with these parts (once it has started with <c>Keypad:</c> pins).</summary>
    public static EmulatedKeypad? EmulatedKeypad(this TerminalParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return parts.ControlCommands.OfType<PressKeysCommand>().FirstOrDefault()?.Keypads.Keypad;
    }

    /// <summary>The emulated reader of that name (driver <c>emulated:KIND</c>): place and remove cards on its field.</summary>
    public static EmulatedReaderTapSource Emulated(this TerminalRuntime terminal, string name)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        return terminal.Sources.OfType<EmulatedReaderTapSource>().FirstOrDefault(s => s.Name == name)
            ?? throw new KeyNotFoundException($"no emulated reader named {name}");
    }
}
