using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Emulation;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Emulation;

/// <summary>
/// Control socket: <c>place READER TECH UIDHEX</c> — a virtual card held on an emulated reader's
/// field; the real driver reads it like a card held there.
/// </summary>
public sealed class PlaceCardCommand : IControlCommand
{
    public string Verb => "place";

    public string Usage => "place READER TECH UIDHEX";

    public bool Accepts(int argumentCount) => argumentCount == 3;

    public ValueTask<string> RunAsync(TerminalRuntime terminal, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        (string reader, string tech, string uidHex) = (arguments[0], arguments[1], arguments[2]);
        if (!CardTechs.TryParse(tech, out CardTech t) || !Hex.TryParse(uidHex, out byte[] uid) || CardTechs.CheckUidLength(t, uid.Length) is not null)
        {
            return ValueTask.FromResult("error expected place READER TECH UIDHEX with a known tech and a uid of its length");
        }

        RfField field = terminal.Emulated(reader).Rig.Field;
        field.Clear();
        field.Place(VirtualCards.For(t, uid));
        return ValueTask.FromResult($"ok placed on {reader}");
    }
}

/// <summary>Control socket: <c>remove READER</c> — the card taken away from an emulated reader.</summary>
public sealed class RemoveCardCommand : IControlCommand
{
    public string Verb => "remove";

    public string Usage => "remove READER";

    public bool Accepts(int argumentCount) => argumentCount == 1;

    public ValueTask<string> RunAsync(TerminalRuntime terminal, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        terminal.Emulated(arguments[0]).Rig.Field.Clear();
        return ValueTask.FromResult($"ok removed from {arguments[0]}");
    }
}
