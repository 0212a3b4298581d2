namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>Ack ranges sorted by first sequence number (they never overlap: an entry is acknowledged once).</summary>
internal sealed class AckRangeIndex
{
    private readonly AckRange[] _ranges;

    public AckRangeIndex(AckRange[] ranges)
    {
        Array.Sort(ranges, (a, b) => a.Id.CompareTo(b.Id));
        _ranges = ranges;
    }

    /// <summary>When the entry <paramref name="seq"/> was acknowledged, or null when no range covers it.</summary>
    public DateTime? Find(ulong seq)
    {
        int lo = 0;
        int hi = _ranges.Length - 1;
        int found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if ((ulong)_ranges[mid].Id <= seq)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found >= 0 && seq <= (ulong)_ranges[found].Last ? _ranges[found].At : null;
    }
}
