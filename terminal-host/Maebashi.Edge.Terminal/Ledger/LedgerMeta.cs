namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>The ledger's own bookkeeping, by key: the sequence numbers reserved so far (<see cref="SequenceReservation"/>).</summary>
internal sealed class LedgerMeta
{
    public string Id { get; set; } = "";
    public long ReservedUpTo { get; set; }
}
