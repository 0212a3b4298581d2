namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>Entries <see cref="Id"/>..<see cref="Last"/> (sequence numbers), acknowledged together at <see cref="At"/>.</summary>
internal sealed class AckRange
{
    public long Id { get; set; }
    public long Last { get; set; }
    public DateTime At { get; set; }
}
