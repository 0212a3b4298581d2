namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A file stream for LiteDB whose <see cref="Flush()"/> reaches the disk (fsync). LiteDB itself commits
/// without fsync (FACTS.md); <see cref="DurableLiteDatabase"/> calls <see cref="FlushToDisk"/> on the log after
/// each unit of work so an acknowledged batch survives a power cut, not only a killed process.
/// </summary>
internal sealed class FsyncStream(string path) : Stream
{
    // No user-space buffer: every Write reaches the OS at once (survives kill -9), fsync makes it durable.
    private readonly FileStream _file = new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => _file.Length;

    public override long Position
    {
        get => _file.Position;
        set => _file.Position = value;
    }

    public override void Flush() => _file.Flush(flushToDisk: true);

    /// <summary>fsync by <paramref name="fsync"/>, serialised with LiteDB's own use of the stream (it locks on the stream instance).</summary>
    public void FlushToDisk(ILogFsync fsync)
    {
        lock (this)
        {
            fsync.Fsync(_file);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => _file.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => _file.Seek(offset, origin);
    public override void SetLength(long value) => _file.SetLength(value);
    public override void Write(byte[] buffer, int offset, int count) => _file.Write(buffer, offset, count);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Flush(flushToDisk: true);
            _file.Dispose();
        }

        base.Dispose(disposing);
    }
}
