namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>Settings of the tap ledger (configuration section <c>Ledger</c>).</summary>
public sealed class LedgerOptions
{
    /// <summary>How long an acknowledged entry is kept for technicians before it is pruned.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Sequence numbers reserved durably ahead of use; a restart skips what was left of the block.</summary>
    public int SeqBlock { get; set; } = 64;

    /// <summary>Below this much free space the disk counts as full: new taps are refused, none accepted is dropped.</summary>
    public long MinFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>The ledger's own ceiling (data file plus log).</summary>
    public long MaxBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// Start sequence numbers no lower than the clock in milliseconds since 1970, so that a ledger
    /// restored from an old backup or a wiped SD card cannot reissue a number the cloud has seen.
    /// </summary>
    public bool SeqFloorFromClock { get; set; } = true;

    /// <summary>LiteDB copies its log into the data file after this many pages (its default is 1000).</summary>
    public int CheckpointPages { get; set; } = 1000;
}
