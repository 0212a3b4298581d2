namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// The ledger's lock, which a tap gets ahead of background work: ack marks and pruning take it only once no tap
/// waits for it, so a draining backlog never makes a passenger wait for its writes.
/// </summary>
internal sealed class TapPriorityLock
{
    private readonly object _gate = new();

    // Taps waiting for (or holding) the lock.
    private int _tapsWaiting;

    /// <summary>Takes the lock for a tap, ahead of any background work that waits for it.</summary>
    public Held ForTap()
    {
        Interlocked.Increment(ref _tapsWaiting);
        Monitor.Enter(_gate);
        return new Held(this, tap: true);
    }

    /// <summary>Takes the lock for background work (ack marks, pruning) once no tap waits for it.</summary>
    public Held ForBackground()
    {
        Monitor.Enter(_gate);
        while (Volatile.Read(ref _tapsWaiting) > 0)
        {
            Monitor.Wait(_gate);
        }

        return new Held(this, tap: false);
    }

    /// <summary>Takes the lock for a short read or for closing: first come, first served.</summary>
    public Held Hold()
    {
        Monitor.Enter(_gate);
        return new Held(this, tap: false);
    }

    private void Exit(bool tap)
    {
        if (tap)
        {
            Interlocked.Decrement(ref _tapsWaiting);
            // Background work that stood aside looks again.
            Monitor.PulseAll(_gate);
        }

        Monitor.Exit(_gate);
    }

    /// <summary>The lock held; disposing releases it (a struct: taking the lock allocates nothing).</summary>
    public readonly struct Held : IDisposable
    {
        private readonly TapPriorityLock _owner;
        private readonly bool _tap;

        internal Held(TapPriorityLock owner, bool tap)
        {
            _owner = owner;
            _tap = tap;
        }

        public void Dispose() => _owner.Exit(_tap);
    }
}
