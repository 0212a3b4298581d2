using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JsonSerializer = System.Text.Json.JsonSerializer;
using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>Settings of the tap ledger (configuration section <c>Ledger</c>).</summary>
public sealed class LedgerOptions
{
    /// <summary>How long an acknowledged entry is kept for technicians before it is pruned.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Sequence numbers reserved durably ahead of use; a restart skips what was left of the block.</summary>
    public int SeqBlock { get; set; } = 64;

    /// <summary>Below this much free space the disk counts as full: new taps are refused, none accepted is dropped.</summary>
    public long MinFreeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>The ledger's own ceiling (data file plus log).</summary>
    public long MaxBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// Start sequence numbers no lower than the clock in milliseconds since 1970, so that a ledger
    /// restored from an old backup or a wiped SD card cannot reissue a number the cloud has seen.
    /// </summary>
    public bool SeqFloorFromClock { get; set; } = true;

    /// <summary>LiteDB copies its log into the data file after this many pages (its default is 1000).</summary>
    public int CheckpointPages { get; set; } = 1000;
}

/// <summary>A tap could not be recorded because the disk (or the ledger's ceiling) is full.</summary>
public sealed class LedgerFullException(string message) : IOException(message);

/// <summary>What the ledger holds, for status, <c>ledger show</c> and <c>doctor</c>.</summary>
public sealed record LedgerSummary(
    long Entries,
    long Backlog,
    ulong? OldestUnackedSeq,
    DateTimeOffset? OldestUnackedAt,
    ulong LastSeq,
    ulong ReservedUpTo,
    long SizeBytes,
    bool DiskFull);

/// <summary>One kept entry: the event as recorded, and whether the ingest has acknowledged it.</summary>
public sealed record LedgerRecord(TapEvent Event, string Json, DateTimeOffset? AckedAt);

/// <summary>
/// The durable tap ledger on LiteDB. Every decided tap is appended and committed to the disk
/// (fsync through <see cref="DurableFileStream"/>) before the caller shows the feedback; an
/// entry is kept until the ingest's acknowledgement covers it and then for the retention period.
/// Sequence numbers come from blocks reserved in the same durable commit as the first tap that
/// uses them, so a crash or power cut can skip numbers but never reuse one.
/// </summary>
public sealed class TapLedger : IDisposable
{
    private const string Taps = "taps";
    private const string Meta = "meta";
    private const string QueueTickets = "queue";
    private const string QueueDays = "queueDays";
    private const string AckRanges = "acks";
    private const string SeqKey = "seq";
    private const string SeqFileName = "seq-reserved.json";

    private readonly object _gate = new();
    private readonly LiteDatabase _db;
    private readonly Stream _data = null!;
    private readonly Stream _log = null!;
    private readonly IDisposable? _lock;
    private readonly ILiteCollection<LedgerEntry> _taps;
    private readonly ILiteCollection<LedgerMeta> _meta;
    private readonly ILiteCollection<QueueTicket> _tickets;
    private readonly ILiteCollection<QueueDay> _days;
    private readonly ILiteCollection<AckRange> _ackRanges;
    private readonly LedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly IDiskSpace _space;
    private readonly ILedgerStorage _storage;
    private readonly ILogger _log2;

    // In-memory mirrors so the outbox and pruning never scan the collection.
    private readonly SortedSet<ulong> _unacked = [];
    private readonly Queue<(ulong Seq, DateTime AckedAt)> _acked = new();

    // Taps waiting for (or holding) the gate: background work (ack marks, pruning) lets them go first.
    private int _tapsWaiting;
    private readonly Dictionary<ulong, DateTimeOffset> _unackedAt = [];
    private ulong _nextSeq;
    private ulong _reservedUpTo;
    private ulong _lastSeq;
    private long _entries;
    private bool _diskFull;
    private DateTimeOffset _spaceCheckedAt = DateTimeOffset.MinValue;
    private bool _disposed;

    private TapLedger(ILedgerStorage storage, LedgerOptions options, TimeProvider time, IDiskSpace space, ILogger log)
    {
        _storage = storage;
        _options = options;
        _time = time;
        _space = space;
        _log2 = log;
        _lock = storage.Lock();
        try
        {
            _data = storage.OpenData();
            _log = storage.OpenLog();
        }
        catch
        {
            _data?.Dispose();
            _lock?.Dispose();
            throw;
        }

        var mapper = new BsonMapper();
        mapper.Entity<LedgerEntry>().Id(x => x.Id, autoId: false);
        mapper.Entity<LedgerMeta>().Id(x => x.Id, autoId: false);
        mapper.Entity<QueueTicket>().Id(x => x.Id, autoId: false);
        mapper.Entity<QueueDay>().Id(x => x.Id, autoId: false);
        mapper.Entity<AckRange>().Id(x => x.Id, autoId: false);
        try
        {
            _db = new LiteDatabase(_data, mapper, _log);
        }
        catch
        {
            _data.Dispose();
            _log.Dispose();
            _lock?.Dispose();
            throw;
        }

        _db.CheckpointSize = Math.Max(1, options.CheckpointPages);
        _taps = _db.GetCollection<LedgerEntry>(Taps);
        _meta = _db.GetCollection<LedgerMeta>(Meta);
        _tickets = _db.GetCollection<QueueTicket>(QueueTickets);
        _days = _db.GetCollection<QueueDay>(QueueDays);
        _ackRanges = _db.GetCollection<AckRange>(AckRanges);
        // Pruning deletes the ranges acknowledged before the oldest entry kept.
        _ackRanges.EnsureIndex(x => x.At);
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
    public static TapLedger Open(ILedgerStorage storage, LedgerOptions? options = null, TimeProvider? time = null, IDiskSpace? space = null, ILogger? log = null)
    {
        var ledger = new TapLedger(storage, options ?? new LedgerOptions(), time ?? TimeProvider.System, space ?? DriveDiskSpace.Instance, log ?? NullLogger.Instance);
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
        get { lock (_gate) { return _lastSeq; } }
    }

    public long Backlog
    {
        get { lock (_gate) { return _unacked.Count; } }
    }

    public bool DiskFull
    {
        get { lock (_gate) { return _diskFull; } }
    }

    private void Load()
    {
        ulong reserved = (ulong)(_meta.FindById(SeqKey)?.ReservedUpTo ?? 0);
        reserved = Math.Max(reserved, ReadSeqFile());
        var acked = new List<(ulong, DateTime)>();
        AckRangeIndex ranges = LoadAckRanges();
        foreach (LedgerEntry e in _taps.FindAll())
        {
            ulong seq = (ulong)e.Id;
            _entries++;
            _lastSeq = Math.Max(_lastSeq, seq);
            if ((e.AckedAt ?? ranges.Find(seq)) is { } at)
            {
                acked.Add((seq, at));
            }
            else
            {
                _unacked.Add(seq);
                _unackedAt[seq] = new DateTimeOffset(DateTime.SpecifyKind(e.At, DateTimeKind.Utc));
            }
        }

        foreach ((ulong seq, DateTime at) in acked.OrderBy(a => a.Item2))
        {
            _acked.Enqueue((seq, at));
        }

        // Whatever was reserved before a restart is never handed out again: the next number is
        // past the reservation, past every entry, and (optionally) past the clock in milliseconds.
        ulong next = Math.Max(reserved, _lastSeq + 1);
        if (_options.SeqFloorFromClock)
        {
            next = Math.Max(next, (ulong)Math.Max(1, _time.GetUtcNow().ToUnixTimeMilliseconds()));
        }

        _nextSeq = Math.Max(next, 1);
        _reservedUpTo = _nextSeq; // nothing reserved yet in this run: the first append reserves a block
        _log2.LogInformation("Ledger opened: {Entries} entries, backlog {Backlog}, next sequence number {Next}", _entries, _unacked.Count, _nextSeq);
    }

    /// <summary>
    /// Appends one decided tap: <paramref name="build"/> gets the sequence number and returns the
    /// event. Returns once the entry is on the disk. With <paramref name="notify"/> false the caller raises
    /// <see cref="Appended"/> itself (<see cref="NotifyAppended"/>).
    /// </summary>
    public TapEvent Append(Func<ulong, TapEvent> build, bool notify = true)
    {
        TapEvent e;
        EnterForTap();
        try
        {
            EnsureRoom();
            e = WriteDurably(seq => build(seq), extra: null);
        }
        finally
        {
            ExitForTap();
        }
        if (notify)
        {
            Appended?.Invoke();
        }

        return e;
    }

    /// <summary>
    /// A clinic check-in: the queue number of this card today if it has one (nothing appended),
    /// else the next number of the day, issued and recorded in the same durable commit as the entry.
    /// </summary>
    public (int Queue, TapEvent? Event) AppendCheckin(string localDay, string token, Func<ulong, int, TapEvent> build, bool notify = true)
    {
        TapEvent e;
        int number;
        EnterForTap();
        try
        {
            string ticketId = localDay + "|" + token;
            if (_tickets.FindById(ticketId) is { } existing)
            {
                return (existing.Number, null);
            }

            EnsureRoom();
            number = (_days.FindById(localDay)?.Last ?? 0) + 1;
            e = WriteDurably(seq => build(seq, number), () =>
            {
                _days.Upsert(new QueueDay { Id = localDay, Last = number });
                _tickets.Insert(new QueueTicket { Id = ticketId, Number = number });
            });
        }
        finally
        {
            ExitForTap();
        }

        if (notify)
        {
            Appended?.Invoke();
        }

        return (number, e);
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
        EnterForTap();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_diskFull)
            {
                return;
            }

            DateTimeOffset now = _time.GetUtcNow();
            string json = TerminalJson.Serialize(new TapEvent { Seq = 0, Type = EventTypes.Board, At = now, Ctx = new TapContext() });
            var entry = new LedgerEntry { Id = long.MinValue, Type = EventTypes.Board, At = now.UtcDateTime, Json = json, Check = Checksum(json) };
            Begin();
            try
            {
                _taps.Insert(entry);
                _ = _taps.FindById(long.MinValue);
            }
            finally
            {
                TryRollback();
            }

            // The outbox mirrors' code too, with seq 0 (no entry has it), added and removed under the gate.
            if (_unacked.Add(0))
            {
                _unackedAt[0] = now;
                _unacked.Remove(0);
                _unackedAt.Remove(0);
            }

            if (_nextSeq >= _reservedUpTo)
            {
                ulong newReserved = _nextSeq + (ulong)Math.Max(1, _options.SeqBlock);
                WriteSeqFile(newReserved);
                Begin();
                try
                {
                    _meta.Upsert(new LedgerMeta { Id = SeqKey, ReservedUpTo = (long)newReserved });
                    _db.Commit();
                }
                catch
                {
                    TryRollback();
                    throw;
                }

                _log.Flush();
                _reservedUpTo = newReserved;
            }
        }
        finally
        {
            ExitForTap();
        }
    }

    /// <summary>The queue number already issued to this card today, if any.</summary>
    public int? FindQueueNumber(string localDay, string token)
    {
        lock (_gate)
        {
            return _tickets.FindById(localDay + "|" + token)?.Number;
        }
    }

    /// <summary>Takes the gate for a tap, ahead of any background work that waits for it.</summary>
    private void EnterForTap()
    {
        Interlocked.Increment(ref _tapsWaiting);
        Monitor.Enter(_gate);
    }

    private void ExitForTap()
    {
        Interlocked.Decrement(ref _tapsWaiting);
        // Background work that stood aside (EnterBackground) looks again.
        Monitor.PulseAll(_gate);
        Monitor.Exit(_gate);
    }

    /// <summary>Takes the gate for background work (ack marks, pruning) once no tap waits for it; release with Monitor.Exit.</summary>
    private void EnterBackground()
    {
        Monitor.Enter(_gate);
        while (Volatile.Read(ref _tapsWaiting) > 0)
        {
            Monitor.Wait(_gate);
        }
    }

    private TapEvent WriteDurably(Func<ulong, TapEvent> build, Action? extra)
    {
        ulong seq = _nextSeq;
        bool reserve = seq >= _reservedUpTo;
        ulong newReserved = reserve ? seq + (ulong)Math.Max(1, _options.SeqBlock) : _reservedUpTo;
        if (reserve)
        {
            // The copy beside the ledger is written first: if it lands and the commit does not,
            // a number is skipped, never reused.
            WriteSeqFile(newReserved);
        }

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

        Begin();

        try
        {
            _taps.Insert(entry);
            extra?.Invoke();
            if (reserve)
            {
                _meta.Upsert(new LedgerMeta { Id = SeqKey, ReservedUpTo = (long)newReserved });
            }

            _db.Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }

        // The commit is in LiteDB's log; make it reach the disk before anyone sees the verdict.
        _log.Flush();

        _nextSeq = seq + 1;
        _reservedUpTo = newReserved;
        _lastSeq = seq;
        _entries++;
        _unacked.Add(seq);
        _unackedAt[seq] = e.At;
        return e;
    }

    /// <summary>Starts a transaction; one left open by a failed write (an I/O error mid-commit) is rolled back first.</summary>
    private void Begin()
    {
        if (_db.BeginTrans())
        {
            return;
        }

        TryRollback();
        if (!_db.BeginTrans())
        {
            throw new IOException("ledger: a transaction could not be started after a failed write");
        }
    }

    private void TryRollback()
    {
        try
        {
            _db.Rollback();
        }
        catch (Exception e)
        {
            _log2.LogWarning(e, "Ledger rollback failed");
        }
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
            _log2.LogWarning("Disk full: pruned {Pruned} acknowledged entries early", pruned);
            full = IsOverLimit();
        }

        if (full != _diskFull)
        {
            _diskFull = full;
            if (full)
            {
                _log2.LogError("Disk full: new taps are refused until space is freed; {Backlog} accepted taps are kept", _unacked.Count);
            }
            else
            {
                _log2.LogInformation("Disk space available again");
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
        lock (_gate)
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
        lock (_gate)
        {
            return _unacked.Contains(seq);
        }
    }

    /// <summary>Reads entries by sequence number (outside the write lock: LiteDB reads a snapshot).</summary>
    public List<TapEvent> Read(IEnumerable<ulong> seqs)
    {
        var list = new List<TapEvent>();
        foreach (ulong seq in seqs)
        {
            if (_taps.FindById((long)seq) is { } entry)
            {
                list.Add(TerminalJson.ParseEvent(entry.Json));
            }
        }

        return list;
    }

    /// <summary>
    /// Marks entries acknowledged by the ingest; unknown or already acknowledged ones are ignored. Returns how
    /// many were new. The marks are written as ranges of consecutive sequence numbers (a few small documents
    /// per ack), not by rewriting each entry: the ledger is held for a fraction of a millisecond, not for the
    /// ~0.1 ms per entry that rewriting costs, so new taps keep their latency while a backlog drains.
    /// </summary>
    public int MarkAcked(IEnumerable<ulong> seqs)
    {
        var sorted = new List<ulong>(seqs);
        sorted.Sort();
        EnterBackground();
        try
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

            Begin();
            try
            {
                int first = 0;
                for (int i = 1; i <= fresh.Count; i++)
                {
                    if (i == fresh.Count || fresh[i] != fresh[i - 1] + 1)
                    {
                        _ackRanges.Upsert(new AckRange { Id = (long)fresh[first], Last = (long)fresh[i - 1], At = now });
                        first = i;
                    }
                }

                _db.Commit();
            }
            catch
            {
                TryRollback();
                throw;
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
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    /// <summary>The most entries pruned in one transaction: each slice holds the ledger for a millisecond or so.</summary>
    internal const int PruneSlice = 32;

    /// <summary>The ack ranges, to look up when an entry was acknowledged (entries acknowledged by older versions carry their own mark).</summary>
    private AckRangeIndex LoadAckRanges() => new([.. _ackRanges.FindAll()]);

    /// <summary>Deletes acknowledged entries older than the retention period (at most <paramref name="max"/> per call).</summary>
    public int Prune(int max = 1000)
    {
        // In slices, between taps, like the ack marks.
        int n = 0;
        while (n < max)
        {
            int want = Math.Min(PruneSlice, max - n);
            int slice;
            EnterBackground();
            try
            {
                slice = _disposed ? 0 : PruneLocked(all: false, want);
            }
            finally
            {
                Monitor.Exit(_gate);
            }

            n += slice;
            if (slice < want)
            {
                break;
            }
        }

        if (n > 0)
        {
            Pruned?.Invoke(n);
        }

        return n;
    }

    /// <summary>Entries kept (acknowledged or not).</summary>
    public long Entries
    {
        get { lock (_gate) { return _entries; } }
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

        // Ranges acknowledged before the oldest entry still kept (in ack order) cover only pruned entries.
        DateTime? keptFrom = _acked.Count > 0 ? _acked.Peek().AckedAt : null;
        Begin();
        try
        {
            foreach (ulong seq in doomed)
            {
                _taps.Delete((long)seq);
            }

            if (keptFrom is { } kept)
            {
                _ackRanges.DeleteMany(r => r.At < kept);
            }
            else
            {
                _ackRanges.DeleteAll();
            }

            _db.Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }

        _entries -= doomed.Count;
        return doomed.Count;
    }

    public LedgerSummary Summary()
    {
        lock (_gate)
        {
            ulong? oldest = _unacked.Count > 0 ? _unacked.Min : null;
            return new LedgerSummary(
                _entries,
                _unacked.Count,
                oldest,
                oldest is { } o ? _unackedAt[o] : null,
                _lastSeq,
                Math.Max(_reservedUpTo, _nextSeq),
                SizeBytes(),
                _diskFull);
        }
    }

    /// <summary>Every kept entry (or only the unacknowledged ones), oldest first.</summary>
    public IEnumerable<LedgerRecord> Records(bool unackedOnly)
    {
        AckRangeIndex ranges = LoadAckRanges();
        foreach (LedgerEntry e in _taps.Find(Query.All(Query.Ascending)))
        {
            DateTime? ackedAt = e.AckedAt ?? ranges.Find((ulong)e.Id);
            if (unackedOnly && ackedAt is not null)
            {
                continue;
            }

            yield return new LedgerRecord(TerminalJson.ParseEvent(e.Json), e.Json,
                ackedAt is { } a ? new DateTimeOffset(DateTime.SpecifyKind(a, DateTimeKind.Utc)) : null);
        }
    }

    /// <summary>Reads every entry and checks it: readable, its checksum, its sequence number, within the reservation.</summary>
    public IReadOnlyList<string> Verify()
    {
        var problems = new List<string>();
        ulong reserved;
        lock (_gate)
        {
            reserved = Math.Max(_reservedUpTo, _nextSeq);
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

    private ulong ReadSeqFile()
    {
        if (_storage.Directory is not { } dir)
        {
            return 0;
        }

        string path = Path.Combine(dir, SeqFileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), TerminalJsonContext.Default.SeqReserveFile)?.ReservedUpTo ?? 0 : 0;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            _log2.LogWarning("Sequence reservation file {Path} unreadable ({Error}); using the ledger's", path, e.Message);
            return 0;
        }
    }

    private void WriteSeqFile(ulong reservedUpTo)
    {
        if (_storage.Directory is not { } dir)
        {
            return;
        }

        AtomicFile.Write(Path.Combine(dir, SeqFileName), JsonSerializer.SerializeToUtf8Bytes(new SeqReserveFile { ReservedUpTo = reservedUpTo }, TerminalJsonContext.Default.SeqReserveFile));
    }

    private static string Checksum(string json)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(json), hash);
        return Convert.ToHexString(hash[..8]);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _db.Dispose();
            }
            finally
            {
                _data.Dispose();
                _log.Dispose();
                _lock?.Dispose();
            }
        }
    }


    internal sealed class LedgerEntry
    {
        public long Id { get; set; }
        public string Type { get; set; } = "";
        public DateTime At { get; set; }
        public string Json { get; set; } = "";
        public string Check { get; set; } = "";
        public DateTime? AckedAt { get; set; }
    }

    /// <summary>Entries <see cref="Id"/>..<see cref="Last"/> (sequence numbers), acknowledged together at <see cref="At"/>.</summary>
    internal sealed class AckRange
    {
        public long Id { get; set; }
        public long Last { get; set; }
        public DateTime At { get; set; }
    }

    /// <summary>Ack ranges sorted by first sequence number (they never overlap: an entry is acknowledged once).</summary>
    private sealed class AckRangeIndex
    {
        private readonly AckRange[] _ranges;

        public AckRangeIndex(AckRange[] ranges)
        {
            Array.Sort(ranges, (a, b) => a.Id.CompareTo(b.Id));
            _ranges = ranges;
        }

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

    internal sealed class LedgerMeta
    {
        public string Id { get; set; } = "";
        public long ReservedUpTo { get; set; }
    }

    internal sealed class QueueTicket
    {
        public string Id { get; set; } = "";
        public int Number { get; set; }
    }

    internal sealed class QueueDay
    {
        public string Id { get; set; } = "";
        public int Last { get; set; }
    }
}
