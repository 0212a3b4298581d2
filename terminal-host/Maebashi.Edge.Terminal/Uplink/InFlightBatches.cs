using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// The <c>evt</c> batches published and not yet acknowledged by the ingest: which entries each holds, and when each
/// is sent again (a growing ack timeout, or soon when the broker answered that nobody received it). Times are on the
/// uplink's monotonic clock. Thread-safe: acks arrive on the MQTT client's thread while the session publishes.
/// </summary>
internal sealed class InFlightBatches
{
    private readonly TapLedger _ledger;
    private readonly UplinkOptions _options;
    private readonly object _gate = new();
    private readonly Dictionary<long, Batch> _batches = [];
    private readonly HashSet<ulong> _seqs = [];
    private long _nextId;

    public InFlightBatches(TapLedger ledger, UplinkOptions options)
    {
        _ledger = ledger;
        _options = options;
    }

    /// <summary>Forgets every batch: after a reconnect every unacknowledged entry is sent again (the ingest de-duplicates).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _batches.Clear();
            _seqs.Clear();
        }
    }

    /// <summary>
    /// A new batch of the oldest unacknowledged entries not yet in flight, due again after the ack timeout; null when
    /// the most batches are in flight already or no entry waits.
    /// </summary>
    public (long Id, List<ulong> Seqs)? Open(TimeSpan now)
    {
        lock (_gate)
        {
            if (_batches.Count >= _options.MaxInflightBatches)
            {
                return null;
            }

            List<ulong> seqs = _ledger.UnackedSeqs(_options.BatchSize, s => !_seqs.Contains(s));
            if (seqs.Count == 0)
            {
                return null;
            }

            // The batch keeps its own copy: an ack may trim it (Settle, on the client's thread) while this
            // list is still being read and published.
            var batch = new Batch(Interlocked.Increment(ref _nextId), [.. seqs], now + _options.AckTimeout, 0);
            _batches[batch.Id] = batch;
            _seqs.UnionWith(seqs);
            return (batch.Id, seqs);
        }
    }

    /// <summary>
    /// The batches whose time is up, trimmed to the entries still unacknowledged, to send again; each is due again
    /// after an ack timeout that doubles with every attempt (up to <see cref="UplinkOptions.AckTimeoutMax"/>).
    /// </summary>
    public List<(long Id, List<ulong> Seqs)> TakeExpired(TimeSpan now)
    {
        List<(long Id, List<ulong> Seqs)> due = [];
        lock (_gate)
        {
            foreach (Batch b in _batches.Values.Where(b => b.Deadline <= now).ToList())
            {
                b.Seqs.RemoveAll(s => !_ledger.IsUnacked(s));
                if (b.Seqs.Count == 0)
                {
                    _batches.Remove(b.Id);
                    continue;
                }

                b.Attempts++;
                long grown = Math.Min(_options.AckTimeout.Ticks << Math.Min(b.Attempts, 20), _options.AckTimeoutMax.Ticks);
                b.Deadline = now + TimeSpan.FromTicks(grown);
                due.Add((b.Id, [.. b.Seqs]));
            }
        }

        return due;
    }

    /// <summary>
    /// The broker answered that no subscriber received batch <paramref name="id"/>: it was dropped, so no ack can come.
    /// It is due again after <see cref="UplinkOptions.UndeliveredRetry"/>, doubling while it stays undelivered; returns
    /// that delay, or null when the batch is no longer in flight.
    /// </summary>
    public TimeSpan? Undelivered(long id, TimeSpan now)
    {
        lock (_gate)
        {
            if (!_batches.TryGetValue(id, out Batch? b))
            {
                return null;
            }

            b.Undelivered++;
            long retry = Math.Min(_options.UndeliveredRetry.Ticks << Math.Min(b.Undelivered - 1, 20), _options.AckTimeoutMax.Ticks);
            b.Deadline = Min(b.Deadline, now + TimeSpan.FromTicks(retry));
            return TimeSpan.FromTicks(retry);
        }
    }

    /// <summary>The earliest of <paramref name="wakeAt"/> and every batch's time to be sent again.</summary>
    public TimeSpan NextDeadline(TimeSpan wakeAt)
    {
        lock (_gate)
        {
            foreach (Batch b in _batches.Values)
            {
                wakeAt = Min(wakeAt, b.Deadline);
            }
        }

        return wakeAt;
    }

    /// <summary>
    /// What an ack settles: each seq it lists, and up to <paramref name="upTo"/> the entries of the batches it answers
    /// (one of their seqs is listed). A whole batch is read or rejected together, so the ingest has the rest of it;
    /// upTo alone does not settle a batch the ingest may never have received (a broker drops queued messages silently).
    /// </summary>
    public List<ulong> Settled(HashSet<ulong> listed, ulong upTo)
    {
        var settled = new List<ulong>(listed);
        lock (_gate)
        {
            foreach (Batch b in _batches.Values)
            {
                if (b.Seqs.Any(listed.Contains))
                {
                    settled.AddRange(b.Seqs.Where(s => s <= upTo));
                }
            }
        }

        return settled;
    }

    /// <summary>After the ledger marked entries acknowledged: they leave their batches, and batches left empty are done.</summary>
    public void DropAcknowledged()
    {
        lock (_gate)
        {
            foreach (Batch b in _batches.Values.ToList())
            {
                b.Seqs.RemoveAll(s => !_ledger.IsUnacked(s));
                if (b.Seqs.Count == 0)
                {
                    _batches.Remove(b.Id);
                }
            }

            _seqs.RemoveWhere(s => !_ledger.IsUnacked(s));
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed class Batch(long id, List<ulong> seqs, TimeSpan deadline, int attempts)
    {
        public long Id { get; } = id;
        public List<ulong> Seqs { get; } = seqs;

        /// <summary>When to send it again, on the uplink's monotonic clock.</summary>
        public TimeSpan Deadline { get; set; } = deadline;
        public int Attempts { get; set; } = attempts;

        /// <summary>Times the broker answered that no subscriber received it.</summary>
        public int Undelivered { get; set; }
    }
}
