namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// A counter per service day that moves when a committed unit changed the day's settled trips or postings, so that what
/// a reader computed from a day (the transport report) can be kept until the day changes. Days share 1,024 slots by day
/// number: two days in one slot move together, which costs a recomputation and never gives a stale answer, and the
/// memory stays the same whatever the history's length.
/// </summary>
internal sealed class SettledDayVersions
{
    private const int Slots = 1024;
    private readonly long[] _versions = new long[Slots];

    /// <summary>Called after the commit: a reader that read the version before it sees a new one.</summary>
    public void Changed(DateOnly day) => Interlocked.Increment(ref _versions[day.DayNumber & (Slots - 1)]);

    public long Of(DateOnly day) => Volatile.Read(ref _versions[day.DayNumber & (Slots - 1)]);
}
