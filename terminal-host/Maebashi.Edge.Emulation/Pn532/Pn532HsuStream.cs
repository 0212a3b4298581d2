namespace Maebashi.Edge.Emulation.Pn532;

/// <summary>
/// The PN532's HSU as a <see cref="Stream"/>, for a host driver that talks to a byte stream
/// rather than a <c>SerialPort</c> (the Iot.Device.Bindings driver needs a port name: use
/// <see cref="Pn532Hsu"/> for it). Writes are frames to the chip; reads return its ACK and
/// response bytes, waiting up to <see cref="ReadTimeout"/> and then throwing
/// <see cref="TimeoutException"/>, as a serial port does.
/// </summary>
public sealed class Pn532HsuStream : Stream
{
    private readonly Pn532Chip _chip;
    private readonly Lock _gate = new();
    private readonly Queue<byte> _toHost = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public Pn532HsuStream(Pn532Chip chip)
    {
        _chip = chip ?? throw new ArgumentNullException(nameof(chip));
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override bool CanTimeout => true;

    public override int ReadTimeout { get; set; } = 89;

    public override long Length => throw new NotSupportedException("a serial stream has no length");

    public override long Position
    {
        get => throw new NotSupportedException("a serial stream has no position");
        set => throw new NotSupportedException("a serial stream has no position");
    }

    /// <summary>Bytes waiting to be read.</summary>
    public int BytesToRead
    {
        get
        {
            lock (_gate)
            {
                return _toHost.Count;
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] answer = Pn532Hsu.Exchange(_chip, buffer);
        if (answer.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (byte b in answer)
            {
                _toHost.Enqueue(b);
            }
        }

        _arrived.Release();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            lock (_gate)
            {
                if (_toHost.Count > 0)
                {
                    int n = 0;
                    while (n < buffer.Length && _toHost.Count > 0)
                    {
                        buffer[n++] = _toHost.Dequeue();
                    }

                    return n;
                }
            }

            if (!_arrived.Wait(ReadTimeout))
            {
                throw new TimeoutException($"no byte from the PN532 within {ReadTimeout} ms");
            }
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a serial stream cannot seek");

    public override void SetLength(long value) => throw new NotSupportedException("a serial stream has no length");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _arrived.Dispose();
        }

        base.Dispose(disposing);
    }
}
