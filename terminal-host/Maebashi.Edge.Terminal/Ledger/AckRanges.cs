using LiteDB;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// The ingest's acknowledgements as the ledger keeps them: ranges of consecutive sequence numbers (a few small
/// documents per ack), not a mark rewritten on each entry. Writing a range holds the ledger for a fraction of a
/// millisecond, not the ~0.1 ms per entry that rewriting costs, so new taps keep their latency while a backlog drains.
/// </summary>
internal sealed class AckRanges
{
    private readonly ILiteCollection<AckRange> _ranges;

    public AckRanges(ILiteCollection<AckRange> ranges)
    {
        _ranges = ranges;
        // Pruning deletes the ranges acknowledged before the oldest entry kept.
        _ranges.EnsureIndex(x => x.At);
    }

    /// <summary>The ranges, to look up when an entry was acknowledged (entries acknowledged by older versions carry their own mark).</summary>
    public AckRangeIndex Load() => new([.. _ranges.FindAll()]);

    /// <summary>Records <paramref name="seqs"/> (ascending, distinct) as acknowledged at <paramref name="at"/>; inside the caller's transaction.</summary>
    public void Add(List<ulong> seqs, DateTime at)
    {
        int first = 0;
        for (int i = 1; i <= seqs.Count; i++)
        {
            if (i == seqs.Count || seqs[i] != seqs[i - 1] + 1)
            {
                _ranges.Upsert(new AckRange { Id = (long)seqs[first], Last = (long)seqs[i - 1], At = at });
                first = i;
            }
        }
    }

    /// <summary>
    /// Deletes the ranges acknowledged before <paramref name="keptFrom"/>, the acknowledgement of the oldest entry still
    /// kept (every range when none is): acknowledged in ack order, they cover only pruned entries. Inside the caller's transaction.
    /// </summary>
    public void DropBefore(DateTime? keptFrom)
    {
        if (keptFrom is { } kept)
        {
            _ranges.DeleteMany(r => r.At < kept);
        }
        else
        {
            _ranges.DeleteAll();
        }
    }
}
