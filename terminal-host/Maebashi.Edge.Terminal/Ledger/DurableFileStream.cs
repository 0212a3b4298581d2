namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// The file stream the ledger gives LiteDB. LiteDB 5 writes each commit to its log without fsync
/// (docs/contract.md §8); this stream is unbuffered (every write reaches the OS at once, so a killed
/// process loses nothing) and its <see cref="Flush"/> is an fsync, which the ledger calls after
/// each commit, before the feedback is shown.
/// </summary>
public sealed class DurableFileStream : Stream
{
    private readonly FileStream _file;
    private bool _dirty;

    public DurableFileStream(string path)
    {
        Path = path;
        // bufferSize 0: no managed buffer between LiteDB and the OS.
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);
    }

    public string Path { get; }

    /// <summary>How many fsyncs this stream has made (benchmarks and tests look at it).</summary>
    public long Syncs { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => _file.Length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    /// <summary>Forces what was written to the disk itself (fsync), if anything was written since the last time.</summary>
    public override void Flush()
    {
        if (!_dirty)
        {
            return;
        }

        _file.Flush(flushToDisk: true);
        _dirty = false;
        Syncs++;
    }

    public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);

    public override void SetLength(long value)
    {
        _file.SetLength(value);
        _dirty = true;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        _file.Write(buffer, offset, count);
        _dirty = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
            _file.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The two streams of a ledger (LiteDB's data file and its write-ahead log).</summary>
public interface ILedgerStorage
{
    Stream OpenData();
    Stream OpenLog();

    /// <summary>Where free space is measured; null for storage that is not a directory (tests).</summary>
    string? Directory { get; }

    /// <summary>Takes the ledger for this process alone (a second writer would corrupt it); null where there is nothing to lock.</summary>
    IDisposable? Lock();
}

/// <summary>The ledger is open in another process (the running service).</summary>
public sealed class LedgerInUseException(string message, Exception inner) : IOException(message, inner);

/// <summary>The ledger's files in the terminal's state directory.</summary>
public sealed class FileLedgerStorage(string directory) : ILedgerStorage
{
    public const string DataFileName = "ledger.db";
    public const string LogFileName = "ledger-log.db";

    public string? Directory => directory;

    public string DataPath => System.IO.Path.Combine(directory, DataFileName);
    public string LogPath => System.IO.Path.Combine(directory, LogFileName);

    public string LockPath => System.IO.Path.Combine(directory, "ledger.lock");

    public IDisposable? Lock()
    {
        try
        {
            // FileShare.None is an exclusive flock on Linux: a second process gets an IOException at once.
            return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new LedgerInUseException($"the ledger in {directory} is open in another process (is the terminal service running?)", e);
        }
    }

    public Stream OpenData() => new DurableFileStream(DataPath);
    public Stream OpenLog() => new DurableFileStream(LogPath);
}
