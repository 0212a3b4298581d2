using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>One kept entry: the event as recorded, and whether the ingest has acknowledged it.</summary>
public sealed record LedgerRecord(TapEvent Event, string Json, DateTimeOffset? AckedAt);
