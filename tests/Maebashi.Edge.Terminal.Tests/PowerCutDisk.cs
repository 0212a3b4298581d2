using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// A disk that loses power: writes go to a volatile image (the OS page cache) and reach the
/// durable image only when flushed. At the chosen operation the power goes: that write and every
/// later one are dropped, and the durable images are what a reboot finds.
/// </summary>
internal sealed class PowerCutDisk
{
    public PowerCutDisk(int? cutAt = null, byte[]? data = null, byte[]? log = null)
    {
        CutAt = cutAt;
        Data = new SimulatedFile(data ?? []);
        Log = new SimulatedFile(log ?? []);
    }

    public int? CutAt { get; }
    public int Operations { get; private set; }
    public bool PowerOff { get; private set; }
    public SimulatedFile Data { get; }
    public SimulatedFile Log { get; }

    /// <summary>Counts a write, flush or resize; throws if the power is (or just went) off.</summary>
    public void Operation()
    {
        if (PowerOff)
        {
            throw new IOException("power is off");
        }

        Operations++;
        if (Operations == CutAt)
        {
            PowerOff = true;
            throw new IOException("power cut");
        }
    }

    /// <summary>The disk after the power comes back: only what was flushed.</summary>
    public PowerCutDisk Reboot() => new(null, Data.Durable.ToArray(), Log.Durable.ToArray());

    public ILedgerStorage Storage() => new Store(this);

    internal sealed class SimulatedFile(byte[] durable)
    {
        public byte[] Durable { get; set; } = durable;
        public MemoryStream Volatile { get; } = Copy(durable);

        private static MemoryStream Copy(byte[] bytes)
        {
            var m = new MemoryStream();
            m.Write(bytes);
            m.Position = 0;
            return m;
        }
    }

    private sealed class Store(PowerCutDisk disk) : ILedgerStorage
    {
        public string? Directory => null;
        public IDisposable? Lock() => null;
        public Stream OpenData() => new PowerCutStream(disk, disk.Data);
        public Stream OpenLog() => new PowerCutStream(disk, disk.Log);
    }

    private sealed class PowerCutStream(PowerCutDisk disk, SimulatedFile file) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => true;
        public override long Length => file.Volatile.Length;

        public override long Position
        {
            get => file.Volatile.Position;
            set => file.Volatile.Position = value;
        }

        public override void Flush()
        {
            disk.Operation();
            file.Durable = file.Volatile.ToArray();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (disk.PowerOff)
            {
                throw new IOException("power is off");
            }

            return file.Volatile.Read(buffer, offset, count);
        }

        public override long Seek(long offset, SeekOrigin origin) => file.Volatile.Seek(offset, origin);

        public override void SetLength(long value)
        {
            disk.Operation();
            file.Volatile.SetLength(value);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            disk.Operation();
            file.Volatile.Write(buffer, offset, count);
        }
    }
}

/// <summary>Ledger streams kept in memory across reopenings (fast tests where the disk is not what is tested).</summary>
internal sealed class MemoryLedgerStorage : ILedgerStorage, IDisposable
{
    public void Dispose()
    {
        _data.Dispose();
        _log.Dispose();
    }

    private readonly MemoryStream _data = new();
    private readonly MemoryStream _log = new();

    public string? Directory => null;
    public IDisposable? Lock() => null;
    public Stream OpenData() => new KeepOpen(_data);
    public Stream OpenLog() => new KeepOpen(_log);

    /// <summary>A view that leaves the memory in place when LiteDB disposes it.</summary>
    private sealed class KeepOpen(MemoryStream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
