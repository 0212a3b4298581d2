using System.Net;
using System.Net.Sockets;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// A loopback TCP relay between one terminal and its broker that can be cut, as a bus loses its mobile
/// network: while cut, open connections are dropped and new ones closed at once. The terminal connects
/// to <see cref="Port"/> instead of the broker's.
/// </summary>
public sealed class NetworkCut : IAsyncDisposable, IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;
    private bool _disposed;

    public NetworkCut(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public bool IsCut => _cut;

    private TaskCompletionSource<long> _relayed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes with the <see cref="System.Diagnostics.Stopwatch"/> timestamp at which the next connection is relayed
    /// to the broker (after a <see cref="Restore"/>: when the terminal's reconnect reaches it).
    /// </summary>
    public Task<long> NextRelayedConnection => Volatile.Read(ref _relayed).Task;

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (TcpClient c in _open)
            {
                c.Dispose();
            }

            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_cut)
            {
                inbound.Dispose();
                continue;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            lock (_open)
            {
                // A cut while the relay was connecting to the broker: that connection is dropped too.
                if (_cut)
                {
                    return;
                }

                _open.Add(inbound);
                _open.Add(outbound);
            }

            Interlocked.Exchange(ref _relayed, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetResult(System.Diagnostics.Stopwatch.GetTimestamp());

            using var pair = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            Task up = inbound.GetStream().CopyToAsync(outbound.GetStream(), pair.Token);
            Task down = outbound.GetStream().CopyToAsync(inbound.GetStream(), pair.Token);
            await Task.WhenAny(up, down);
            await pair.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A cut or a closed side ends the relay; the terminal reconnects.
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(inbound);
                _open.Remove(outbound);
            }

            inbound.Dispose();
            outbound.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
