using System.Linq.Expressions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// The durable tap ledger on LiteDB. Every decided tap is appended and committed to the disk
/// (fsync through <see cref="DurableFileStream"/>) before the caller shows the feedback; an
/// entry is kept until the ingest's acknowledgement covers it and then for the retention period.
/// Sequence numbers come from blocks reserved in the same durable commit as the first tap that
/// uses them (<see cref="SequenceReservation"/>), so a crash or power cut can skip numbers but never reuse one.
/// </summary>
public sealed class TapLedger : IDisposable
{
    private const string Taps = "taps";
    private const string Meta = "meta";
    private const string AckRangesName = "acks";

    private readonly TapPriorityLock _lock = new();
    private readonly LiteDatabase _db;
    private readonly Stream _data = null!;
    private readonly Stream _log = null!;
    private readonly IDisposable? _storageLock;
    private readonly ILiteCollection<LedgerEntry> _taps;
    private readonly AckRanges _ackRanges;
    private readonly SequenceReservation _seq;
    private readonly LedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly IDiskSpace _space;
    private readonly ILedgerStorage _storage;
    private readonly ILogger _logger;
    private readonly LedgerCheckpoints _checkpoints;

    // In-memory mirrors so the outbox and pruning never scan the collection.
    private readonly SortedSet<ulong> _unacked = [];
    private readonly Queue<(ulong Seq, DateTime AckedAt)> _acked = new();
    private readonly Dictionary<ulong, DateTimeOffset> _unackedAt = [];

    // Unacknowledged entries holding a My Number card's certificate and signature, scrubbed once acknowledged.
    private readonly LedgerProofs _proofs;

    private ulong _lastSeq;
    private long _entries;
    private bool _diskFull;
    private DateTimeOffset _spaceCheckedAt = DateTimeOffset.MinValue;
    private bool _disposed;

    private TapLedger(ILedgerStorage storage, LedgerOptions options, TimeProvider time, IDiskSpace space, ILogger log, Action<Action>? background)
    {
        _storage = storage;
        _options = options;
        _time = time;
        _space = space;
        _logger = log;
        _storageLock = storage.Lock();
        try
        {
            _data = storage.OpenData();
            _log = storage.OpenLog();
        }
        catch
        {
            _data?.Dispose();
            _storageLock?.Dispose();
            throw;
        }

        var mapper = new BsonMapper();
        mapper.Entity<LedgerEntry>().Id(x => x.Id, autoId: false);
        mapper.Entity<LedgerMeta>().Id(x => x.Id, autoId: false);
        mapper.Entity<AckRange>().Id(x => x.Id, autoId: false);
        try
        {
            _db = new LiteDatabase(_data, mapper, _log);
        }
        catch
        {
            _data.Dispose();
            _log.Dispose();
            _storageLock?.Dispose();
            throw;
        }

        // No checkpoint inside a commit: LiteDB would run it in whichever commit crosses the size, often a tap's,
        // which then waits for the log to be copied and synced. The ledger checkpoints in the background instead.
        _db.CheckpointSize = 0;
        _checkpoints = new LedgerCheckpoints(_db, _log, _lock, options, log, background, () => _disposed);
        _taps = _db.GetCollection<LedgerEntry>(Taps);
        _proofs = new LedgerProofs(_taps);
        _seq = new SequenceReservation(_db.GetCollection<LedgerMeta>(Meta), storage.Directory, options, log);
        _ackRanges = new AckRanges(_db.GetCollection<AckRange>(AckRangesName));
    }

    /// <summary>
    /// Raised (outside the ledger's lock) after each appended entry, so the uplink wakes up; for a tap the
    /// pipeline raises it once the verdict is shown (<see cref="NotifyAppended"/>), so that the uplink does
    /// not take the CPU from the tap it is about to send.
    /// </summary>
    public event Action? Appended;

    /// <summary>Raised after entries were pruned, with how many.</summary>
    public event Action<int>? Pruned;

    /// <summary>Opens (or creates) the ledger and rebuilds the outbox from it.</summary>
    /// <param name="background">
    /// Runs the ledger's background work (checkpoints) once the tap that made it due has its verdict; the thread pool
    /// by default. A caller that wants every disk write in a known order (a power-cut proof) runs it in place.
    /// </param>
    public static TapLedger Open(ILedgerStorage storage, LedgerOptions? options = null, TimeProvider? time = null, IDiskSpace? space = null, ILogger? log = null,
        Action<Action>? background = null)
    {
        var ledger = new TapLedger(storage, options ?? new LedgerOptions(), time ?? TimeProvider.System, space ?? DriveDiskSpace.Instance, log ?? NullLogger.Instance, background);
        try
        {
            ledger.Load();
            return ledger;
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }

    public ulong LastSeq
    {
        get
        {
            using (_lock.Hold())
            {
                return _lastSeq;
            }
        }
    }

    public long Backlog
    {
        get
        {
            using (_lock.Hold())
            {
                return _unacked.Count;
            }
        }
    }

    public bool DiskFull
    {
        get
        {
            using (_lock.Hold())
            {
                return _diskFull;
            }
        }
    }

    /// <summary>Entries kept (acknowledged or not).</summary>
    public long Entries
    {
        get
        {
            using (_lock.Hold())
            {
                return _entries;
            }
        }
    }

    private void Load()
    {
        var acked = new List<(ulong, DateTime)>();
        AckRangeIndex ranges = _ackRanges.Load();
        var scrub = new List<ulong>();
        foreach (LedgerEntry e in _taps.FindAll())
        {
            ulong seq = (ulong)e.Id;
            _entries++;
            _lastSeq = Math.Max(_lastSeq, seq);
            bool proof = LedgerProofs.MayHold(e.Json);
            if ((e.AckedAt ?? ranges.Find(seq)) is { } at)
            {
                acked.Add((seq, at));
                if (proof)
                {
                    // Acknowledged before a crash let the scrub land.
                    scrub.Add(seq);
                }
            }
            else
            {
                _unacked.Add(seq);
                _unackedAt[seq] = new DateTimeOffset(DateTime.SpecifyKind(e.At, DateTimeKind.Utc));
                if (proof)
                {
                    _proofs.Hold(seq);
                }
            }
        }

        if (scrub.Count > 0)
        {
            _db.InTransaction(_logger, () => _proofs.Scrub(scrub));
        }

        foreach ((ulong seq, DateTime at) in acked.OrderBy(a => a.Item2))
        {
            _acked.Enqueue((seq, at));
        }

        _seq.Start(_lastSeq, _time.GetUtcNow());
        _logger.LogInformation("Ledger opened: {Entries} entries, backlog {Backlog}, next sequence number {Next}", _entries, _unacked.Count, _seq.Next);
    }

    /// <summary>
    /// Appends one decided tap: <paramref name="build"/> gets the sequence number and returns the
    /// event. Returns once the entry is on the disk. With <paramref name="notify"/> false the caller raises
    /// <see cref="Appended"/> itself (<see cref="NotifyAppended"/>).
    /// </summary>
    public TapEvent Append(Func<ulong, TapEvent> build, bool notify = true) => Append(build, alsoInCommit: null, notify);

    /// <summary>
    /// Appends one decided tap like <see cref="Append(Func{ulong, TapEvent}, bool)"/>, and writes
    /// <paramref name="alsoInCommit"/> (a role's own state kept in the ledger, <see cref="StateCollection"/>) in the
    /// same durable commit: both land or neither does.
    /// </summary>
    internal TapEvent Append(Func<ulong, TapEvent> build, Action? alsoInCommit, bool notify)
    {
        TapEvent e;
        using (_lock.ForTap())
        {
            EnsureRoom();
            e = WriteDurably(build, alsoInCommit);
        }

        _checkpoints.SoonIfDue();
        if (notify)
        {
            Appended?.Invoke();
        }

        return e;
    }

    /// <summary>
    /// A collection for a role's own state kept beside the taps (the clinic's queue numbers), keyed by the string
    /// <paramref name="id"/> its writer sets; written through <see cref="Append(Func{ulong, TapEvent}, Action?, bool)"/>.
    /// </summary>
    internal ILiteCollection<T> StateCollection<T>(string name, Expression<Func<T, string>> id)
    {
        _db.Mapper.Entity<T>().Id(id, autoId: false);
        return _db.GetCollection<T>(name);
    }

    /// <summary>Raises <see cref="Appended"/> for entries appended with <c>notify: false</c>.</summary>
    public void NotifyAppended() => Appended?.Invoke();

    /// <summary>
    /// Runs the tap's ledger path once before the first tap, so that the first passenger does not wait for
    /// the JIT (the service runs with TieredCompilation=0: each method is compiled fully on its first call).
    /// No tap is recorded: a synthetic entry (an id no tap can have) is inserted and rolled back, and the
    /// next block of sequence numbers is reserved durably (what the first tap would do; a restart skips what
    /// is left of a block anyway).
    /// </summary>
    public void WarmUp()
    {
        using (_lock.ForTap())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_diskFull)
            {
                return;
            }

            DateTimeOffset now = _time.GetUtcNow();
            string json = TerminalJson.Serialize(new TapEvent { Seq = 0, Type = EventTypes.Board, At = now, Ctx = new TapContext() });
            var entry = new LedgerEntry { Id = long.MinValue, Type = EventTypes.Board, At = now.UtcDateTime, Json = json, Check = Checksum(json) };
            _db.InTransaction(_logger, () =>
            {
                _taps.Insert(entry);
                _ = _taps.FindById(long.MinValue);
            }, TransactionEnd.Rollback);

            // The outbox mirrors' code too, with seq 0 (no entry has it), added and removed under the gate.
            if (_unacked.Add(0))
            {
                _unackedAt[0] = now;
                _unacked.Remove(0);
                _unackedAt.Remove(0);
            }

            LiteDbPageCache.WarmUpReclaim();
            if (_seq.BlockUsedUp)
            {
                SequenceReservation.Claim claim = _seq.Take();
                _db.InTransaction(_logger, () => _seq.Record(claim));
                _log.Flush();
                _seq.Advance(claim, used: false);
            }
        }
    }

    private TapEvent WriteDurably(Func<ulong, TapEvent> build, Action? alsoInCommit)
    {
        SequenceReservation.Claim claim = _seq.Take();
        ulong seq = claim.Seq;
        TapEvent e = build(seq);
        if (e.Seq != seq)
        {
            throw new InvalidOperationException("the event must carry the sequence number it was given");
        }

        string json = TerminalJson.Serialize(e);
        var entry = new LedgerEntry
        {
            Id = (long)seq,
            Type = e.Type,
            At = e.At.UtcDateTime,
            Json = json,
            Check = Checksum(json),
        };

        _db.InTransaction(_logger, () =>
        {
            _taps.Insert(entry);
            alsoInCommit?.Invoke();
            _seq.Record(claim);
        });

        // The commit is in LiteDB's log; make it reach the disk before anyone sees the verdict.
        _log.Flush();
        _checkpoints.InlineIfOverdue();

        _seq.Advance(claim, used: true);
        _lastSeq = seq;
        _entries++;
        _unacked.Add(seq);
        _unackedAt[seq] = e.At;
        if (e.Card?.Jpki is not null)
        {
            _proofs.Hold(seq);
        }

        return e;
    }

    private void EnsureRoom()
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (!_diskFull && now - _spaceCheckedAt < TimeSpan.FromSeconds(5))
        {
            return;
        }

        _spaceCheckedAt = now;
        bool full = IsOverLimit();
        if (full && _acked.Count > 0)
        {
            // Acknowledged entries are safe in the cloud: they go first, whatever their retention.
            int pruned = PruneLocked(all: true, max: int.MaxValue);
            _logger.LogWarning("Disk full: pruned {Pruned} acknowledged entries early", pruned);
            full = IsOverLimit();
        }

        if (full != _diskFull)
        {
            _diskFull = full;
            if (full)
            {
                _logger.LogError("Disk full: new taps are refused until space is freed; {Backlog} accepted taps are kept", _unacked.Count);
            }
            else
            {
                _logger.LogInformation("Disk space available again");
            }
        }

        if (full)
        {
            throw new LedgerFullException("the disk is full: the tap cannot be recorded");
        }
    }

    private bool IsOverLimit()
    {
        if (SizeBytes() > _options.MaxBytes)
        {
            return true;
        }

        return _storage.Directory is { } dir && _space.FreeBytes(dir) is { } free && free < _options.MinFreeBytes;
    }

    private long SizeBytes()
    {
        try
        {
            return _data.Length + _log.Length;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            return 0;
        }
    }

    /// <summary>Up to <paramref name="max"/> unacknowledged sequence numbers, oldest first, that <paramref name="include"/> accepts.</summary>
    public List<ulong> UnackedSeqs(int max, Func<ulong, bool>? include = null)
    {
        var list = new List<ulong>(Math.Min(max, 256));
        using (_lock.Hold())
        {
            foreach (ulong seq in _unacked)
            {
                if (list.Count >= max)
                {
                    break;
                }

                if (include is null || include(seq))
                {
                    list.Add(seq);
                }
            }
        }

        return list;
    }

    public bool IsUnacked(ulong seq)
    {
        using (_lock.Hold())
        {
            return _unacked.Contains(seq);
        }
    }

    /// <summary>Reads entries by sequence number (outside the write lock: LiteDB reads a snapshot).</summary>
    public List<TapEvent> Read(IEnumerable<ulong> seqs) => ReadJson(seqs).ConvertAll(TerminalJson.ParseEvent);

    /// <summary>The stored JSON of entries by sequence number, in the wire's conventions: what the uplink sends.</summary>
    public List<string> ReadJson(IEnumerable<ulong> seqs)
    {
        var list = new List<string>();
        foreach (ulong seq in seqs)
        {
            if (_taps.FindById((long)seq) is { } entry)
            {
                list.Add(entry.Json);
            }
        }

        return list;
    }

    /// <summary>
    /// Marks entries acknowledged by the ingest; unknown or already acknowledged ones are ignored. Returns how
    /// many were new. The marks are written as <see cref="AckRanges"/> between taps, so new taps keep their
    /// latency while a backlog drains.
    /// </summary>
    public int MarkAcked(IEnumerable<ulong> seqs)
    {
        int marked = MarkAckedLocked(seqs);
        if (marked > 0)
        {
            _checkpoints.SoonIfDue();
        }

        return marked;
    }

    private int MarkAckedLocked(IEnumerable<ulong> seqs)
    {
        var sorted = new List<ulong>(seqs);
        sorted.Sort();
        using (_lock.ForBackground())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DateTime now = _time.GetUtcNow().UtcDateTime;
            var fresh = new List<ulong>(sorted.Count);
            foreach (ulong seq in sorted)
            {
                if ((fresh.Count == 0 || fresh[^1] != seq) && _unacked.Contains(seq))
                {
                    fresh.Add(seq);
                }
            }

            if (fresh.Count == 0)
            {
                return 0;
            }

            if (_ackRanges.Gather(fresh, now, _options.AckWriteInterval))
            {
                WriteAcks(now);
            }

            // The ingest has verified what it needed: a My Number card's certificate and signature go now.
            List<ulong> proofs = _proofs.Acknowledged(fresh);
            if (proofs.Count > 0)
            {
                _db.InTransaction(_logger, () => _proofs.Scrub(proofs));
            }

            // Not flushed here: an ack lost in a power cut only means the entry is sent again,
            // which the ingest answers as a duplicate. The next tap's fsync carries it anyway.
            foreach (ulong seq in fresh)
            {
                _unacked.Remove(seq);
                _unackedAt.Remove(seq);
                _acked.Enqueue((seq, now));
            }

            return fresh.Count;
        }
    }

    /// <summary>Writes the acks gathered in memory (under the lock).</summary>
    private void WriteAcks(DateTime now)
    {
        _db.InTransaction(_logger, _ackRanges.WritePending);
        _ackRanges.Written(now);
    }

    /// <summary>The most entries pruned in one transaction: each slice holds the ledger for a millisecond or so.</summary>
    internal const int PruneSlice = 32;

    /// <summary>Deletes acknowledged entries older than the retention period (at most <paramref name="max"/> per call).</summary>
    public int Prune(int max = 1000)
    {
        // In slices, between taps, like the ack marks.
        int n = 0;
        while (n < max)
        {
            int want = Math.Min(PruneSlice, max - n);
            int slice;
            using (_lock.ForBackground())
            {
                slice = _disposed ? 0 : PruneLocked(all: false, want);
            }

            n += slice;
            if (slice < want)
            {
                break;
            }
        }

        // Acks still gathered in memory (none came for a while) are written now.
        using (_lock.ForBackground())
        {
            if (!_disposed && _ackRanges.HasPending)
            {
                WriteAcks(_time.GetUtcNow().UtcDateTime);
            }
        }

        _checkpoints.SoonIfDue();
        if (n > 0)
        {
            Pruned?.Invoke(n);
        }

        return n;
    }

    private int PruneLocked(bool all, int max)
    {
        DateTime cutoff = (_time.GetUtcNow() - _options.Retention).UtcDateTime;
        var doomed = new List<ulong>();
        while (_acked.Count > 0 && doomed.Count < max && (all || _acked.Peek().AckedAt <= cutoff))
        {
            doomed.Add(_acked.Dequeue().Seq);
        }

        if (doomed.Count == 0)
        {
            return 0;
        }

        DateTime? keptFrom = _acked.Count > 0 ? _acked.Peek().AckedAt : null;
        _db.InTransaction(_logger, () =>
        {
            foreach (ulong seq in doomed)
            {
                _taps.Delete((long)seq);
            }

            // The gathered acks first, so that those covering only pruned entries go in the same commit.
            _ackRanges.WritePending();
            _ackRanges.DropBefore(keptFrom);
        });
        _ackRanges.Written(_time.GetUtcNow().UtcDateTime);

        _entries -= doomed.Count;
        return doomed.Count;
    }

    public LedgerSummary Summary()
    {
        using (_lock.Hold())
        {
            ulong? oldest = _unacked.Count > 0 ? _unacked.Min : null;
            return new LedgerSummary(
                _entries,
                _unacked.Count,
                oldest,
                oldest is { } o ? _unackedAt[o] : null,
                _lastSeq,
                _seq.ReservedUpTo,
                SizeBytes(),
                _diskFull);
        }
    }

    /// <summary>
    /// Every kept entry (or only the unacknowledged ones), oldest first, as a technician may see them: a My Number
    /// card's certificate and signature not yet scrubbed show as the certificate's SHA-256 and "present".
    /// </summary>
    public IEnumerable<LedgerRecord> Records(bool unackedOnly)
    {
        AckRangeIndex ranges;
        using (_lock.Hold())
        {
            ranges = _ackRanges.Load();
        }

        foreach (LedgerEntry e in _taps.Find(Query.All(Query.Ascending)))
        {
            DateTime? ackedAt = e.AckedAt ?? ranges.Find((ulong)e.Id);
            if (unackedOnly && ackedAt is not null)
            {
                continue;
            }

            TapEvent ev = TerminalJson.ParseEvent(e.Json);
            string json = e.Json;
            if (ev.Card?.Jpki is { } proof)
            {
                ev.Card.Jpki = LedgerProofs.Redacted(proof);
                json = TerminalJson.Serialize(ev);
            }

            yield return new LedgerRecord(ev, json, ackedAt is { } a ? new DateTimeOffset(DateTime.SpecifyKind(a, DateTimeKind.Utc)) : null);
        }
    }

    /// <summary>Reads every entry and checks it: readable, its checksum, its sequence number, within the reservation.</summary>
    public IReadOnlyList<string> Verify()
    {
        var problems = new List<string>();
        ulong reserved;
        using (_lock.Hold())
        {
            reserved = _seq.ReservedUpTo;
        }

        long count = 0;
        foreach (LedgerEntry e in _taps.FindAll())
        {
            count++;
            if (Checksum(e.Json) != e.Check)
            {
                problems.Add($"entry {e.Id}: checksum does not match its content");
                continue;
            }

            try
            {
                TapEvent ev = TerminalJson.ParseEvent(e.Json);
                if ((long)ev.Seq != e.Id)
                {
                    problems.Add($"entry {e.Id}: carries sequence number {ev.Seq}");
                }
            }
            catch (JsonException x)
            {
                problems.Add($"entry {e.Id}: unreadable ({x.Message})");
            }

            if ((ulong)e.Id >= reserved)
            {
                problems.Add($"entry {e.Id}: beyond the reserved sequence numbers ({reserved})");
            }
        }

        return problems;
    }

    private void WriteAcksOnClose()
    {
        try
        {
            WriteAcks(_time.GetUtcNow().UtcDateTime);
            _log.Flush();
        }
        catch (Exception e) when (e is IOException or LiteException)
        {
            // Those entries are sent again after the start, and the ingest answers them as duplicates.
            _logger.LogWarning(e, "Ledger: the last acknowledgements could not be written on close");
        }
    }

    internal static string Checksum(string json)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(json), hash);
        return Convert.ToHexString(hash[..8]);
    }

    public void Dispose()
    {
        using (_lock.Hold())
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                if (_ackRanges.HasPending)
                {
                    WriteAcksOnClose();
                }

                _db.Dispose();
            }
            finally
            {
                _data.Dispose();
                _log.Dispose();
                _storageLock?.Dispose();
            }
        }
    }
}
