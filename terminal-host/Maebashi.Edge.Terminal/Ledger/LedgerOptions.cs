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

    /// <summary>
    /// The log is copied into the data file (a checkpoint, in the background between taps) once it holds this many
    /// 8 KiB pages. A checkpoint holds the ledger for about 1 ms plus 0.01 ms a page, so a small log keeps the wait of
    /// a tap that comes during one short, and bounds the memory the log's pages take.
    /// </summary>
    public int CheckpointPages { get; set; } = 100;

    /// <summary>
    /// Acks are gathered in memory and written at most this often (a bus online acks each tap on its own). One not yet
    /// written when the power goes only means its entry is sent again, and the ingest answers it as a duplicate.
    /// </summary>
    public TimeSpan AckWriteInterval { get; set; } = TimeSpan.FromSeconds(1);
}
