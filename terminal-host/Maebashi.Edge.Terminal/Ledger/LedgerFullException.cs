namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>A tap could not be recorded because the disk (or the ledger's ceiling) is full.</summary>
public sealed class LedgerFullException(string message) : IOException(message);
