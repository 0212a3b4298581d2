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

    /// <summary>
    /// The longest the clock may move while a wait is armed before it is armed again: a real clock moves microseconds; an
    /// injected one moved by another thread (a test's clock) moves seconds at a time.
    /// </summary>
    private static readonly TimeSpan ArmTolerance = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Completes when set (now, if it was set since the last wait), when <paramref name="clock"/> reaches
    /// <paramref name="deadline"/>, or on cancellation. The timer counts from the time it is armed, so a clock that moved
    /// on between the reading and the arming would push the wake past the deadline by as much: the wait is then armed
    /// again from a new reading.
    /// </summary>
    public async Task WaitUntilAsync(TimeSpan deadline, Func<TimeSpan> clock, TimeProvider time, CancellationToken ct)
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
        while (true)
        {
            TimeSpan armedAt = clock();
            if (armedAt >= deadline)
            {
                break;
            }

            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            Task delay = Task.Delay(deadline - armedAt, time, attempt.Token);
            if (clock() - armedAt > ArmTolerance)
            {
                await attempt.CancelAsync().ConfigureAwait(false);
                continue;
            }

            await Task.WhenAny(signalled, delay).ConfigureAwait(false);
            break;
        }

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
