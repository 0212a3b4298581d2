namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>An auto-reset signal to await: many Set calls before a wait wake it once.</summary>
internal sealed class AsyncSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set()
    {
        lock (_gate)
        {
            _tcs.TrySetResult();
        }
    }

    /// <summary>Completes when set (now, if it was set since the last wait), when the timeout passes, or on cancellation.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        Task signalled;
        lock (_gate)
        {
            if (_tcs.Task.IsCompleted)
            {
                _tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return;
            }

            signalled = _tcs.Task;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task delay = timeout == Timeout.InfiniteTimeSpan
            ? Task.Delay(Timeout.Infinite, cts.Token)
            : Task.Delay(timeout, time, cts.Token);
        await Task.WhenAny(signalled, delay).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_tcs.Task.IsCompleted)
            {
                _tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
