namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>What the ledger holds, for status, <c>ledger show</c> and <c>doctor</c>.</summary>
public sealed record LedgerSummary(
    long Entries,
    long Backlog,
    ulong? OldestUnackedSeq,
    DateTimeOffset? OldestUnackedAt,
    ulong LastSeq,
    ulong ReservedUpTo,
    long SizeBytes,
    bool DiskFull);
