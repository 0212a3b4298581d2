using System.IO.Pipelines;
using Maebashi.Edge.Emulation.Gps;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Emulation.Gps;

/// <summary>Plugs an emulated GNSS receiver into a terminal in place of the serial device <c>Gps:Port</c> names.</summary>
public static class EmulatedGpsLine
{
    /// <summary>
    /// When the terminal opens <paramref name="port"/> it reads what <paramref name="receiver"/> writes, second by
    /// second on the receiver's clock (a new receiver each time the line is opened: the bus drives its route again).
    /// </summary>
    public static TerminalParts AddEmulatedGps(this TerminalParts parts, string port, Func<EmulatedGpsReceiver> receiver)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(receiver);
        parts.GpsLines[port] = () => Open(receiver());
        return parts;
    }

    private static LineEnd Open(EmulatedGpsReceiver receiver)
    {
        var pipe = new Pipe();
        var closed = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            try
            {
                await receiver.RunAsync(pipe.Writer.AsStream(leaveOpen: true), closed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The terminal closed the line.
            }
            finally
            {
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
        });
        return new LineEnd(pipe.Reader.AsStream(), closed);
    }

    /// <summary>The terminal's end of the line: closing it stops the receiver's writing.</summary>
    private sealed class LineEnd(Stream inner, CancellationTokenSource closed) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                closed.Cancel();
                closed.Dispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
