namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The fsync with which <see cref="DurableLiteDatabase.MakeDurable"/> makes committed transactions durable
/// (of LiteDB's log after a commit, and after a checkpoint). The default asks the operating system
/// (<see cref="SystemLogFsync"/>); a test passes a disk whose fsync fails, to see that nothing is
/// acknowledged that may not be on disk.
/// </summary>
public interface ILogFsync
{
    /// <summary>Makes everything written to <paramref name="log"/> durable, or throws (an <see cref="IOException"/>) as the disk fails.</summary>
    void Fsync(FileStream log);
}

/// <summary>fsync by the operating system.</summary>
public sealed class SystemLogFsync : ILogFsync
{
    public static SystemLogFsync Instance { get; } = new();

    public void Fsync(FileStream log) => log.Flush(flushToDisk: true);
}
