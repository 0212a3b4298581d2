using System.Collections.Concurrent;
using Maebashi.Edge.Firmware;
using Maebashi.Edge.Firmware.Storage;
using Maebashi.Edge.ValidatorLink;

namespace Maebashi.Edge.Firmware.Tests;

/// <summary>A clock the test moves by hand; allocation-free (for the allocation test).</summary>
internal sealed class ManualClock : IClock
{
    public long MonotonicMs { get; set; } = 1_000;

    public long UnixMs => 1_780_000_000_000 + MonotonicMs;

    public void Advance(long ms) => MonotonicMs += ms;
}

/// <summary>The terminal host's side as the link master sees it: decides with a rule, stores taps in memory, and signals.</summary>
internal sealed class RecordingTapHandler : IValidatorTapHandler, IDisposable
{
    private readonly ConcurrentQueue<ValidatorTap> _stored = new();
    private readonly SemaphoreSlim _storedSignal = new(0);
    private int _decided;

    public Func<ValidatorVerdictRequest, ValidatorVerdict> Rule { get; set; } = _ => ValidatorVerdict.Accepted(180);

    /// <summary>Runs inside DecideAsync (to inject faults at the moment the verdict is sent).</summary>
    public Action? OnDecide { get; set; }

    public int Decided => Volatile.Read(ref _decided);

    public IReadOnlyList<ValidatorTap> Stored => [.. _stored];

    public ValueTask<ValidatorVerdict> DecideAsync(ValidatorVerdictRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _decided);
        OnDecide?.Invoke();
        return ValueTask.FromResult(Rule(request));
    }

    public void Dispose() => _storedSignal.Dispose();

    public ValueTask StoreAsync(ValidatorTap tap, CancellationToken cancellationToken)
    {
        _stored.Enqueue(tap);
        _storedSignal.Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits until <paramref name="count"/> taps are stored in all.</summary>
    public async Task WaitForStoredAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (_stored.Count < count)
        {
            try
            {
                await _storedSignal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{_stored.Count} of {count} taps stored within {timeout}");
            }
        }
    }
}

/// <summary>Waits for a condition that changes when frames cross the line (re-checked on every frame the master sees).</summary>
internal static class FrameWait
{
    public static async Task UntilAsync(ValidatorLinkMaster master, Func<bool> condition, TimeSpan timeout, string what)
    {
        // Not disposed: the master may still raise an event it took before the handler was removed.
        var signal = new SemaphoreSlim(0);
        void OnFrame(LinkFrameInfo _) => signal.Release();
        master.FrameSeen += OnFrame;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            while (!condition())
            {
                try
                {
                    await signal.WaitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"timed out waiting for: {what}");
                }
            }
        }
        finally
        {
            master.FrameSeen -= OnFrame;
        }
    }
}

internal static class Uids
{
    public static byte[] Make(int length, int n)
    {
        byte[] uid = new byte[length];
        uid[0] = length == 4 ? (byte)0x1A : (byte)0x04;
        for (int i = 1; i < length; i++)
        {
            uid[i] = (byte)((n >> (8 * ((i - 1) % 4))) + (i * 17));
        }

        // A 4-byte UID must not start with the cascade tag 0x88.
        return uid;
    }
}
