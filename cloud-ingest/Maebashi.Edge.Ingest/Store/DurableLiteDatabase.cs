using LiteDB;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A LiteDB database (data file + log file) whose transactions are durable — on disk, not only in the OS
/// cache — when <see cref="MakeDurable"/> returns. LiteDB itself commits without fsync (FACTS.md).
/// </summary>
/// <remarks>
/// LiteDB 5.0.21 writes a transaction's pages to its log synchronously inside <c>Commit</c>, the last page
/// marked confirmed. One fsync of the log then makes the transaction durable: on open LiteDB restores every
/// confirmed transaction from the log and ignores a torn, unconfirmed tail. Copying the log into the data
/// file (the checkpoint) is deferred until the log holds <see cref="CheckpointLogBytes"/>; LiteDB writes the
/// data pages, fsyncs the data file (<c>DiskService.WriteDataDisk</c> → <see cref="FsyncStream.Flush"/>) and
/// only then truncates the log, so a transaction is never only in a file that was not made durable.
/// </remarks>
public sealed class DurableLiteDatabase : IDisposable
{
    /// <summary>Log size at which the log is copied into the data file (LiteDB's own default is 1,000 pages of 8 KiB).</summary>
    public const long CheckpointLogBytes = 16L << 20;

    private readonly FsyncStream _data;
    private readonly FsyncStream _log;
    private readonly ILogFsync _logFsync;

    /// <param name="dataPath">The data file; the log is <c>name-log.ext</c> beside it, as LiteDB names it.</param>
    /// <param name="logFsync">How the log is made durable; by default the operating system's fsync.</param>
    public DurableLiteDatabase(string dataPath, ILogFsync? logFsync = null)
    {
        _logFsync = logFsync ?? SystemLogFsync.Instance;
        string logPath = Path.Combine(Path.GetDirectoryName(dataPath) ?? ".", Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dataPath))!);
        _data = new FsyncStream(dataPath);
        _log = new FsyncStream(logPath);
        Db = new LiteDatabase(_data, new BsonMapper(), _log);
        // Checkpoints are ours (MakeDurable): LiteDB must not start one mid-unit.
        Db.CheckpointSize = 0;
    }

    public LiteDatabase Db { get; }

    /// <summary>Call after <c>Commit</c>, before telling anyone the transaction happened.</summary>
    public void MakeDurable()
    {
        _log.FlushToDisk(_logFsync);
        if (_log.Length >= CheckpointLogBytes)
        {
            Db.Checkpoint();
            _log.FlushToDisk(_logFsync);
        }
    }

    public void Dispose()
    {
        try
        {
            // Leave a compact data file behind; if it cannot be written (a full disk) the log is restored on the next open.
            Db.Checkpoint();
        }
        catch (Exception e) when (e is IOException or LiteException)
        {
        }

        Db.Dispose();
        _data.Dispose();
        _log.Dispose();
    }
}
