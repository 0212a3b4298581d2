using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// The uplink's wait for its next deadline (a status, a resend, the ledger's upkeep) on the injected clock: a status
/// due at a time goes out at that time, however the clock moved while the wait was armed.
/// </summary>
[Trait("Category", "Terminal")]
public sealed class AsyncSignalTests
{
    [Fact]
    public async Task A_wait_for_a_deadline_wakes_at_it_when_the_clock_moved_on_while_the_wait_was_armed()
    {
        var time = new FakeTimeProvider();
        long epoch = time.GetTimestamp();
        var signal = new AsyncSignal();

        // Another thread moves the clock 10 s on between the wait's reading of it and the arming of its timer: a timer
        // armed for "60 s from the reading" would wake at 70 s.
        bool moved = false;
        TimeSpan Clock()
        {
            TimeSpan now = time.GetElapsedTime(epoch);
            if (!moved)
            {
                moved = true;
                time.Advance(TimeSpan.FromSeconds(10));
            }

            return now;
        }

        Task wait = signal.WaitUntilAsync(TimeSpan.FromSeconds(60), Clock, time, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(49));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_signal_set_before_the_wait_wakes_it_at_once_and_only_once()
    {
        var time = new FakeTimeProvider();
        long epoch = time.GetTimestamp();
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        await signal.WaitUntilAsync(TimeSpan.FromSeconds(60), () => time.GetElapsedTime(epoch), time, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Task second = signal.WaitUntilAsync(TimeSpan.FromSeconds(60), () => time.GetElapsedTime(epoch), time, CancellationToken.None);
        Assert.False(second.IsCompleted);
        signal.Set();
        await second.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
