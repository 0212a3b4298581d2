using System.Threading.Channels;
using Maebashi.Edge.Firmware.Link;

namespace Maebashi.Edge.Firmware.Simulator;

/// <summary>Which way a frame travels on the line.</summary>
public enum LineDirection
{
    HostToValidator,
    ValidatorToHost,
}

/// <summary>
/// One RS-485 pair shared by the host (master) and several validators. Every byte a node sends reaches every other node.
/// Frames are delivered at once (a validator answers inside the host's write, as fast as a real one turns around), so runs
/// are deterministic. The line counts a collision whenever a validator transmits without being the one the host's last
/// frame addressed, or transmits twice for one frame, or two nodes transmit at the same time.
/// </summary>
public sealed class SimulatedRs485Line
{
    private readonly Lock _gate = new();
    private readonly List<SimulatedValidator> _validators = [];
    private readonly FrameDecoder _masterFrames = new();
    private readonly FrameDecoder _validatorFrames = new();
    private readonly Channel<byte[]> _toMaster = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private int _transmitting;
    private int _granted = -1;
    private bool _answered;
    private int _corruptHostToValidator = -1;
    private int _corruptValidatorToHost = -1;
    private long _collisions;
    private readonly HashSet<SimulatedValidator> _unplugged = [];

    /// <summary>Collisions seen (must stay 0).</summary>
    public long Collisions => Interlocked.Read(ref _collisions);

    public long FramesFromHost { get; private set; }

    public long FramesFromValidators { get; private set; }

    public IReadOnlyList<SimulatedValidator> Validators
    {
        get
        {
            lock (_gate)
            {
                return [.. _validators];
            }
        }
    }

    internal ChannelReader<byte[]> ToMaster => _toMaster.Reader;

    /// <summary>The host's end: a Stream as a serial port's BaseStream would be.</summary>
    public Stream OpenHostPort() => new HostPort(this);

    public void Attach(SimulatedValidator validator)
    {
        lock (_gate)
        {
            _validators.Add(validator);
        }
    }

    /// <summary>Fault: the validator's cable is pulled (false) or plugged back (true); unplugged, it hears and sends nothing.</summary>
    public void SetConnected(SimulatedValidator validator, bool connected)
    {
        lock (_gate)
        {
            if (connected)
            {
                _unplugged.Remove(validator);
            }
            else
            {
                _unplugged.Add(validator);
            }
        }
    }

    /// <summary>Fault: flips one byte (at <paramref name="byteIndex"/> of the encoded frame) of the next frame sent that way.</summary>
    public void CorruptNextFrame(LineDirection direction, int byteIndex)
    {
        lock (_gate)
        {
            if (direction == LineDirection.HostToValidator)
            {
                _corruptHostToValidator = byteIndex;
            }
            else
            {
                _corruptValidatorToHost = byteIndex;
            }
        }
    }

    internal void FromHost(byte[] bytes)
    {
        Transmitting(true);
        try
        {
            SimulatedValidator[] targets;
            lock (_gate)
            {
                Corrupt(bytes, ref _corruptHostToValidator);
                foreach (byte b in bytes)
                {
                    if (_masterFrames.Push(b))
                    {
                        FramesFromHost++;
                        _granted = _masterFrames.Address;
                        _answered = false;
                    }
                }

                targets = [.. _validators.Where(v => !_unplugged.Contains(v))];
            }

            foreach (SimulatedValidator v in targets)
            {
                v.Deliver(bytes);
            }
        }
        finally
        {
            Transmitting(false);
        }
    }

    internal void FromValidator(SimulatedValidator sender, byte[] buffer, int offset, int count)
    {
        Transmitting(true);
        try
        {
            byte[] bytes = buffer.AsSpan(offset, count).ToArray();
            SimulatedValidator[] others;
            lock (_gate)
            {
                if (_unplugged.Contains(sender))
                {
                    return;
                }

                foreach (byte b in bytes)
                {
                    if (_validatorFrames.Push(b))
                    {
                        FramesFromValidators++;
                        bool mine = _granted == _validatorFrames.Address || _granted == LinkProtocol.BroadcastAddress;
                        if (!mine || _answered)
                        {
                            Interlocked.Increment(ref _collisions);
                        }

                        _answered = true;
                    }
                }

                Corrupt(bytes, ref _corruptValidatorToHost);
                others = [.. _validators.Where(v => v != sender && !_unplugged.Contains(v))];
            }

            _toMaster.Writer.TryWrite(bytes);
            foreach (SimulatedValidator v in others)
            {
                v.Overhear(bytes);
            }
        }
        finally
        {
            Transmitting(false);
        }
    }

    private void Transmitting(bool on)
    {
        if (on)
        {
            // The host's write carries the addressed validator's answer inside it; only a second validator counts.
            if (Interlocked.Increment(ref _transmitting) > 2)
            {
                Interlocked.Increment(ref _collisions);
            }
        }
        else
        {
            Interlocked.Decrement(ref _transmitting);
        }
    }

    private static void Corrupt(byte[] bytes, ref int index)
    {
        if (index < 0)
        {
            return;
        }

        int at = Math.Min(index, bytes.Length - 2);
        index = -1;
        if (at < 0)
        {
            return;
        }

        byte flipped = (byte)(bytes[at] ^ 0x10);
        bytes[at] = flipped == 0 ? (byte)(bytes[at] ^ 0x01) : flipped;
    }

    /// <summary>The host's side of the line as a Stream.</summary>
    private sealed class HostPort(SimulatedRs485Line line) : Stream
    {
        private byte[] _pending = [];
        private int _pendingAt;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_pendingAt >= _pending.Length)
            {
                if (!await line.ToMaster.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }

                if (line.ToMaster.TryRead(out byte[]? chunk))
                {
                    _pending = chunk;
                    _pendingAt = 0;
                }
            }

            int n = Math.Min(buffer.Length, _pending.Length - _pendingAt);
            _pending.AsMemory(_pendingAt, n).CopyTo(buffer);
            _pendingAt += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => line.FromHost(buffer.AsSpan(offset, count).ToArray());

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            line.FromHost(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
