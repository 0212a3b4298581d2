using LiteDB;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// The ingest's acknowledgements as the ledger keeps them: ranges of consecutive sequence numbers, not a mark
/// rewritten on each entry. Acks are gathered in memory and written at most once per
/// <see cref="LedgerOptions.AckWriteInterval"/>, contiguous ones merged into one range: a bus online acks each tap on
/// its own, and a write per ack would double the pages each tap costs the log (and its checkpoints). An ack not yet
/// written when the power goes only means the entry is sent again, which the ingest answers as a duplicate.
/// </summary>
internal sealed class AckRanges
{
    private readonly ILiteCollection<AckRange> _ranges;
    private readonly List<AckRange> _pending = [];
    private DateTime _writtenAt = DateTime.MinValue;

    public AckRanges(ILiteCollection<AckRange> ranges)
    {
        _ranges = ranges;
        // Pruning deletes the ranges acknowledged before the oldest entry kept.
        _ranges.EnsureIndex(x => x.At);
    }

    /// <summary>Acks gathered and not written yet.</summary>
    public bool HasPending => _pending.Count > 0;

    /// <summary>The ranges, to look up when an entry was acknowledged (entries acknowledged by older versions carry their own mark).</summary>
    public AckRangeIndex Load() => new([.. _ranges.FindAll(), .. _pending]);

    /// <summary>
    /// Gathers <paramref name="seqs"/> (ascending, distinct) as acknowledged at <paramref name="at"/>, merged into the last
    /// gathered range when they continue it. Returns true when <paramref name="writeEvery"/> has passed since the last write.
    /// </summary>
    public bool Gather(List<ulong> seqs, DateTime at, TimeSpan writeEvery)
    {
        int first = 0;
        for (int i = 1; i <= seqs.Count; i++)
        {
            if (i == seqs.Count || seqs[i] != seqs[i - 1] + 1)
            {
                long from = (long)seqs[first];
                long to = (long)seqs[i - 1];
                if (_pending.Count > 0 && _pending[^1].Last + 1 == from)
                {
                    // Retention runs from the later ack: an entry is kept at most one write interval longer.
                    _pending[^1].Last = to;
                    _pending[^1].At = at;
                }
                else
                {
                    _pending.Add(new AckRange { Id = from, Last = to, At = at });
                }

                first = i;
            }
        }

        return at - _writtenAt >= writeEvery;
    }

    /// <summary>Writes the gathered ranges; inside the caller's transaction (<see cref="Written"/> once it committed).</summary>
    public void WritePending()
    {
        foreach (AckRange r in _pending)
        {
            _ranges.Upsert(r);
        }
    }

    /// <summary>The gathered ranges were committed at <paramref name="at"/>.</summary>
    public void Written(DateTime at)
    {
        _pending.Clear();
        _writtenAt = at;
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
