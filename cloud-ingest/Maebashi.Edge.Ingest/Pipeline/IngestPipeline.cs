using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Contract.Validation;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>The rules as the pipeline calls them (WalletRules.Evaluate by default).</summary>
public delegate WalletView WalletEvaluator(CityRegistry registry, PersonHistory history, DateTimeOffset now);

/// <summary>What became of one <c>evt</c> publish.</summary>
public sealed class BatchOutcome
{
    public required string Device { get; init; }

    /// <summary>Set when the whole batch was rejected (quarantined, not acknowledged).</summary>
    public string? RejectedReason { get; init; }

    /// <summary>The ack to publish on the device's ack topic; null for a rejected batch.</summary>
    public Ack? Ack { get; init; }

    public bool IsRejected => RejectedReason is not null;
}

public enum ChargeStatus
{
    Applied,
    Duplicate,
    Conflict,
}

public sealed record ChargeOutcome(ChargeStatus Status, long Value, long Points);

/// <summary>
/// verify → quarantine → de-duplicate → resolve token → card → PID → rules → store (one durable unit per
/// batch, the de-duplication records committed with their effects) → ack. Thread-safe; units are serialised.
/// </summary>
/// <remarks>
/// The debtors behind the deny list are kept in this process's memory, filled from the store at start and
/// updated after each commit. With several ingest processes on one PostgreSQL store, each would instead read
/// the debtors (and the deny version) from the store after its commit.
/// </remarks>
public sealed class IngestPipeline
{
    private readonly CityRegistry _registry;
    private readonly IIngestStore _store;
    private readonly TimeProvider _time;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly WalletEvaluator _evaluate;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _debtors;
    private readonly string[] _lostTokens;
    private readonly ConcurrentDictionary<string, DeviceStatus> _statuses = new(StringComparer.Ordinal);
    private long _denyVersion;

    public IngestPipeline(CityRegistry registry, IIngestStore store, TimeProvider time, IngestMetrics metrics, ILogger logger, WalletEvaluator? evaluate = null)
    {
        _registry = registry;
        _store = store;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _evaluate = evaluate ?? WalletRules.Evaluate;
        _lostTokens = registry.Cards.Where(c => c.Lost).Select(c => c.Token).ToArray();
        _debtors = new HashSet<string>(store.PersonsInDebt(), StringComparer.Ordinal);

        // Every start publishes a fresh version, so a device never keeps a list the ingest no longer holds.
        _denyVersion = store.Write(w =>
        {
            long v = long.Parse(w.GetMeta("denyVersion") ?? "0", CultureInfo.InvariantCulture) + 1;
            w.SetMeta("denyVersion", v.ToString(CultureInfo.InvariantCulture));
            return v;
        });
        metrics.SetQuarantineCount(store.QuarantineCount());
        foreach (DeviceProgress d in store.Devices())
        {
            metrics.SetDeviceSeq(d.Device, d.UpTo);
        }
    }

    public CityRegistry Registry => _registry;

    public IngestMetrics Metrics => _metrics;

    public IIngestStore Store => _store;

    /// <summary>Raised after a change of the deny list is committed (a debt crossing the limit, a top-up clearing it).</summary>
    public event Action<DenyList>? DenyListChanged;

    public DenyList CurrentDenyList()
    {
        lock (_gate)
        {
            return BuildDenyList();
        }
    }

    private DenyList BuildDenyList()
    {
        var tokens = new SortedSet<string>(_lostTokens, StringComparer.Ordinal);
        foreach (string pid in _debtors)
        {
            foreach (CardEntry c in _registry.CardsOf(pid))
            {
                tokens.Add(c.Token);
            }
        }

        return new DenyList { Version = _denyVersion, Tokens = [.. tokens] };
    }

    public IReadOnlyDictionary<string, DeviceStatus> Statuses => _statuses;

    /// <summary>A device's retained status: firmware, backlog, readers (for /api/v1/devices and /metrics).</summary>
    public void OnStatus(string topic, ReadOnlySpan<byte> payload)
    {
        if (!Topics.TryParse(topic, out TopicKind kind, out string device) || kind != TopicKind.Status || payload.IsEmpty)
        {
            return;
        }

        try
        {
            DeviceStatus status = ContractJson.ParseStatus(payload);
            status.Device = device;
            _statuses[device] = status;
            _metrics.SetDeviceBacklog(device, status.Backlog);
        }
        catch (ContractFormatException e)
        {
            _logger.LogWarning("Status of {Device} not readable: {Problem}", device, e.Problem);
        }
    }

    /// <summary>A device published on a topic that is not its own: quarantined, never applied.</summary>
    public void QuarantineForeignPublish(string publisher, string topic, ReadOnlyMemory<byte> payload)
    {
        Quarantine("ForeignTopic", publisher, topic, payload.Span, $"device '{publisher}' published on '{topic}', which is not its own topic");
    }

    /// <summary>Processes one <c>evt</c> publish durably (blocking); for tests and tools, the brokers use <see cref="ProcessBatchAsync"/>.</summary>
    public BatchOutcome ProcessBatch(string topic, ReadOnlyMemory<byte> payload, string? mac) =>
        ProcessBatchAsync(topic, payload, mac).GetAwaiter().GetResult();

    /// <summary>
    /// Processes one <c>evt</c> publish durably; the returned ack may be published once the task completes.
    /// Verification runs on the caller's thread (batches of different devices in parallel); the unit of work
    /// runs in the next group commit, and the caller's thread is not blocked while it waits for it.
    /// </summary>
    public async Task<BatchOutcome> ProcessBatchAsync(string topic, ReadOnlyMemory<byte> payload, string? mac)
    {
        long started = _time.GetTimestamp();
        DateTimeOffset now = _time.GetUtcNow();
        if (!Topics.TryParse(topic, out TopicKind kind, out string device) || kind != TopicKind.Events)
        {
            return Reject("NotEventTopic", device, topic, payload.Span, $"'{topic}' is not a device's evt topic");
        }

        DeviceEntry? dev = _registry.FindDevice(device);
        if (dev is null)
        {
            return Reject(nameof(ErrorCode.UnknownDevice), device, topic, payload.Span, $"unknown device '{device}'");
        }

        if (!DeviceAuth.VerifyMac(dev.Key, payload.Span, mac))
        {
            string why = string.IsNullOrEmpty(mac)
                ? "mac: the MQTT user property 'mac' is missing"
                : "mac: does not match the payload (HMAC-SHA256 with the device key)";
            return Reject(nameof(ErrorCode.BadMac), device, topic, payload.Span, why);
        }

        BatchReadResult read = BatchReader.Read(device, payload.Span, now);
        if (read.BatchError is { } error)
        {
            return Reject(error.Code.ToString(), device, topic, payload.Span, error.ToString());
        }

        Applied applied = await CommitInGroup(new PendingBatch(device, topic, payload, read, now)).ConfigureAwait(false);

        _metrics.RecordBatch(applied.Ack.Results, _time.GetElapsedTime(started), applied.NewestAt is { } at ? now - at : null);
        _metrics.SetDeviceSeq(device, applied.Ack.UpTo);
        _metrics.AddQuarantined(applied.Quarantined);
        return new BatchOutcome { Device = device, Ack = applied.Ack };
    }

    /// <summary>A top-up, idempotent by receipt (DESIGN.md §3).</summary>
    public ChargeOutcome Charge(CardEntry card, long amount, string receipt)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            (ChargeOutcome outcome, UnitState unit) = _store.Write(w =>
            {
                var unit = new UnitState();
                if (w.FindTopUp(receipt) is { } existing)
                {
                    PersonState? s = w.GetPersonForUpdate(existing.Pid);
                    ChargeStatus status = existing.Pid == card.Pid && existing.TopUp.Amount == amount ? ChargeStatus.Duplicate : ChargeStatus.Conflict;
                    return (new ChargeOutcome(status, s?.Value ?? 0, s?.Points ?? 0), unit);
                }

                w.TryAddTopUp(card.Pid, new TopUp(receipt, amount, now));
                WalletView view = EvaluatePerson(w, card.Pid, now, unit);
                FinishUnit(w, unit);
                return (new ChargeOutcome(ChargeStatus.Applied, view.Value, view.Points), unit);
            });
            AfterCommit(unit);
            return outcome;
        }
    }

    /// <summary>Closes trips left open past board + 180 minutes by re-evaluating their persons; returns how many.</summary>
    public int CloseDueTrips()
    {
        DateTimeOffset now = _time.GetUtcNow();
        IReadOnlyList<string> due = _store.PersonsDueForClose(now);
        foreach (string[] chunk in due.Chunk(200))
        {
            lock (_gate)
            {
                UnitState unit = _store.Write(w =>
                {
                    var u = new UnitState();
                    foreach (string pid in chunk)
                    {
                        EvaluatePerson(w, pid, now, u);
                    }

                    FinishUnit(w, u);
                    return u;
                });
                AfterCommit(unit);
            }
        }

        return due.Count;
    }

    /// <summary>The person's wallet as stored, or as the rules see an untouched person (opening value and points).</summary>
    public PersonState WalletOf(string pid)
    {
        if (_store.GetPerson(pid) is { } s)
        {
            return s;
        }

        PersonEntry person = _registry.FindPerson(pid) ?? throw new InvalidOperationException("card of an unknown person");
        WalletView v = _evaluate(_registry, new PersonHistory { Person = person, Taps = [], TripEnds = [], TopUps = [] }, _time.GetUtcNow());
        return ToState(pid, v, 0);
    }

    /// <summary>A verified batch waiting for the next group commit, and what became of it.</summary>
    private sealed class PendingBatch(string device, string topic, ReadOnlyMemory<byte> payload, BatchReadResult read, DateTimeOffset now)
    {
        public string Device { get; } = device;
        public string Topic { get; } = topic;
        public ReadOnlyMemory<byte> Payload { get; } = payload;
        public BatchReadResult Read { get; } = read;
        public DateTimeOffset Now { get; } = now;
        public TaskCompletionSource<Applied> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Lock _queueLock = new();
    private readonly List<PendingBatch> _queue = [];
    private bool _leaderActive;

    /// <summary>
    /// Group commit: batches arriving while a unit is being written wait and then go together into the next
    /// unit (one LiteDB transaction, one durable point); each still gets its own ack, only after that unit is
    /// durable. One writer drains the queue on a pool thread while it is not empty; the callers only await.
    /// </summary>
    private Task<Applied> CommitInGroup(PendingBatch mine)
    {
        bool start;
        lock (_queueLock)
        {
            _queue.Add(mine);
            start = !_leaderActive;
            _leaderActive = true;
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => DrainQueue(), null);
        }

        return mine.Done.Task;
    }

    private void DrainQueue()
    {
        while (true)
        {
            PendingBatch[] group;
            lock (_queueLock)
            {
                if (_queue.Count == 0)
                {
                    _leaderActive = false;
                    return;
                }

                group = [.. _queue.Take(32)];
                _queue.RemoveRange(0, group.Length);
            }

            WriteGroup(group);
        }
    }

    private void WriteGroup(PendingBatch[] group)
    {
        var results = new Applied[group.Length];
        try
        {
            lock (_gate)
            {
                UnitState unit = _store.Write(w =>
                {
                    var u = new UnitState();
                    for (int i = 0; i < group.Length; i++)
                    {
                        PendingBatch b = group[i];
                        results[i] = ApplyBatch(w, u, b.Device, b.Topic, b.Payload.Span, b.Read, b.Now);
                    }

                    FinishUnit(w, u);
                    return u;
                });
                AfterCommit(unit);
            }
        }
        catch (Exception e)
        {
            var error = new InvalidOperationException("the batch could not be stored", e);
            foreach (PendingBatch b in group)
            {
                b.Done.TrySetException(error);
            }

            return;
        }

        for (int i = 0; i < group.Length; i++)
        {
            group[i].Done.TrySetResult(results[i]);
        }
    }

    private sealed class UnitState
    {
        /// <summary>Debt status of each evaluated person before the unit, to tell a real change from a round trip.</summary>
        public Dictionary<string, bool> DebtBefore { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, bool> DebtChanges { get; } = new(StringComparer.Ordinal);
        public long? NewDenyVersion { get; set; }
        public int Quarantined { get; set; }
    }

    private sealed record Applied(Ack Ack, int Quarantined, DateTimeOffset? NewestAt);

    private Applied ApplyBatch(IIngestWrite w, UnitState unit, string device, string topic, ReadOnlySpan<byte> payload, BatchReadResult read, DateTimeOffset now)
    {
        int quarantinedBefore = unit.Quarantined;
        var results = new EventResult[read.Events.Count];
        var fresh = new List<(int Index, TapRecord Tap)>(read.Events.Count);
        var affected = new HashSet<string>(StringComparer.Ordinal);
        string? payloadHash = null;
        DateTimeOffset? newest = null;

        for (int i = 0; i < read.Events.Count; i++)
        {
            ReadEvent ev = read.Events[i];
            if (ev.Event is not { } e)
            {
                string reason = ev.Error!.ToString();
                results[i] = new EventResult { Seq = ev.Seq, Status = ResultStatus.Rejected, Reason = reason };
                QuarantineEvent(w, unit, ref payloadHash, payload, device, topic, ev.Seq, ev.Error.Code.ToString(), reason, now);
                continue;
            }

            string? pid = null;
            if (e.Card is { } cardRef)
            {
                CardEntry? card = _registry.FindCard(cardRef.Tok);
                if (card is null)
                {
                    const string reason = "card.tok: unknown card token";
                    results[i] = new EventResult { Seq = e.Seq, Status = ResultStatus.Rejected, Reason = reason };
                    QuarantineEvent(w, unit, ref payloadHash, payload, device, topic, e.Seq, nameof(ErrorCode.UnknownCard), reason, now);
                    continue;
                }

                pid = card.Pid;
            }

            var tap = new TapRecord(device, e.Seq, pid, e.Type, e.Ctx.Vehicle, e.At, now, e);
            if (!w.TryAddTap(tap))
            {
                results[i] = new EventResult { Seq = e.Seq, Status = ResultStatus.Duplicate, Reason = "already applied" };
                continue;
            }

            fresh.Add((i, tap));
            newest = newest is null || e.At > newest ? e.At : newest;
            if (pid is not null)
            {
                affected.Add(pid);
            }
            else if (e.Type == EventTypes.TripEnd && e.Ctx.Vehicle is { } vehicle)
            {
                // A trip_end closes the open trips of everyone who boarded this vehicle in the last 180 minutes.
                affected.UnionWith(w.PersonsBoarded(vehicle, e.At - RuleWindows.Trip, e.At));
            }
        }

        var views = new Dictionary<string, WalletView>(affected.Count, StringComparer.Ordinal);
        foreach (string pid in affected)
        {
            views[pid] = EvaluatePerson(w, pid, now, unit);
        }

        foreach ((int index, TapRecord tap) in fresh)
        {
            if (tap.Pid is null || !views.TryGetValue(tap.Pid, out WalletView? view))
            {
                results[index] = new EventResult { Seq = tap.Seq, Status = ResultStatus.Applied };
                continue;
            }

            TapOutcome? o = view.Outcomes.GetValueOrDefault(new StoredTapRef(tap.Device, tap.Seq));
            EventResult r = new()
            {
                Seq = tap.Seq,
                Status = o?.Status ?? ResultStatus.Applied,
                Reason = o?.Reason,
                Fare = o?.Fare,
                Points = o?.Points,
                Value = EventTypes.IsBus(tap.Type) ? view.Value : null,
                PatientNo = o?.PatientNo,
                Queue = o?.Queue,
                ChildMedicalSubsidy = o?.ChildMedicalSubsidy,
            };
            results[index] = r;
            if (r.Status == ResultStatus.Rejected)
            {
                // Stored for audit and for order-independence, but the operators see why it was refused.
                QuarantineEvent(w, unit, ref payloadHash, payload, device, topic, tap.Seq, "Rule", r.Reason ?? "rejected by the rules", now);
            }
        }

        DeviceProgress? progress = w.GetDevice(device);
        ulong upTo = read.Events.Count == 0 ? progress?.UpTo ?? 0 : Math.Max(progress?.UpTo ?? 0, read.Events[^1].Seq);
        w.PutDevice(new DeviceProgress(device, upTo, now, (progress?.EventsApplied ?? 0) + fresh.Count));
        return new Applied(new Ack { UpTo = upTo, Results = [.. results] }, unit.Quarantined - quarantinedBefore, newest);
    }

    private WalletView EvaluatePerson(IIngestWrite w, string pid, DateTimeOffset now, UnitState unit)
    {
        PersonEntry person = _registry.FindPerson(pid) ?? throw new InvalidOperationException("a card names a person the registry does not hold");
        PersonState? old = w.GetPersonForUpdate(pid);
        IReadOnlyList<TapRecord> taps = w.TapsOfPerson(pid);

        // trip_ends of the vehicles the person boarded, within the 180 minutes after each board.
        var tripEnds = new Dictionary<(string, ulong), StoredTap>();
        foreach (IGrouping<string, TapRecord> g in taps.Where(t => t.Type == EventTypes.Board && t.Vehicle is not null).GroupBy(t => t.Vehicle!))
        {
            DateTimeOffset from = g.Min(t => t.At);
            DateTimeOffset to = g.Max(t => t.At) + RuleWindows.Trip;
            foreach (TapRecord te in w.TripEnds(g.Key, from, to))
            {
                tripEnds[(te.Device, te.Seq)] = te.ToStoredTap();
            }
        }

        var history = new PersonHistory
        {
            Person = person,
            Taps = taps.Select(t => t.ToStoredTap()).ToList(),
            TripEnds = [.. tripEnds.Values],
            TopUps = w.TopUpsOf(pid),
        };
        WalletView view = _evaluate(_registry, history, now);

        PersonState state = ToState(pid, view, (old?.Revision ?? 0) + 1);
        List<WalletEntry> entries = DiffPostings(pid, old?.Postings ?? [], view.Postings, now);
        string welfareId = _registry.SectorIdFor(pid, SectorId.Welfare);
        w.PutPerson(
            state,
            entries,
            [.. view.CheckIns.Select(c => new CheckInRecord(pid, c.Clinic, c.Date, c.PatientNo, c.Queue, c.ChildMedicalSubsidy, c.At))],
            [.. view.Participations.Select(p => new ParticipationRecord(pid, p.Event, p.Sector, welfareId, p.In, p.Out, p.Points))]);

        // Against the state before the unit: a person may be evaluated by several batches of one group.
        if (!unit.DebtBefore.TryGetValue(pid, out bool wasInDebt))
        {
            unit.DebtBefore[pid] = wasInDebt = old?.InDebt ?? false;
        }

        if (wasInDebt != view.InDebt)
        {
            unit.DebtChanges[pid] = view.InDebt;
        }
        else
        {
            unit.DebtChanges.Remove(pid);
        }

        return view;
    }

    // ReviewAt: when the clock alone can change the view (an open trip closing at board + 180 min).
    private static PersonState ToState(string pid, WalletView v, long revision) =>
        new(pid, v.Value, v.Points, v.PointsBus, v.PointsVolunteer, v.PointsHealth, v.InDebt, v.ReviewAt, v.Trips, v.Postings, revision);

    /// <summary>
    /// New postings become entries; a posting whose amount changed, or that disappeared, becomes an
    /// adjustment entry of the difference, so the entries always add up to the wallet.
    /// </summary>
    internal static List<WalletEntry> DiffPostings(string pid, IReadOnlyList<Posting> before, IReadOnlyList<Posting> after, DateTimeOffset now)
    {
        Dictionary<string, Posting> old = Merge(before);
        Dictionary<string, Posting> cur = Merge(after);
        var entries = new List<WalletEntry>();
        foreach (Posting p in cur.Values)
        {
            if (!old.TryGetValue(p.Key, out Posting? o))
            {
                if (p.Value != 0 || p.Points != 0)
                {
                    entries.Add(new WalletEntry(pid, p.Key, p.Kind, p.Value, p.Points, p.Source, p.At, now, p.Description, Adjustment: false));
                }
            }
            else if (o.Value != p.Value || o.Points != p.Points)
            {
                entries.Add(new WalletEntry(pid, p.Key, "adjustment", p.Value - o.Value, p.Points - o.Points, p.Source, p.At, now, "re-rated: " + p.Description, Adjustment: true));
            }
        }

        foreach (Posting o in old.Values)
        {
            if (!cur.ContainsKey(o.Key) && (o.Value != 0 || o.Points != 0))
            {
                entries.Add(new WalletEntry(pid, o.Key, "adjustment", -o.Value, -o.Points, o.Source, o.At, now, "withdrawn: " + o.Description, Adjustment: true));
            }
        }

        return entries;
    }

    private static Dictionary<string, Posting> Merge(IReadOnlyList<Posting> postings)
    {
        var d = new Dictionary<string, Posting>(postings.Count, StringComparer.Ordinal);
        foreach (Posting p in postings)
        {
            d[p.Key] = d.TryGetValue(p.Key, out Posting? prev) ? prev with { Value = prev.Value + p.Value, Points = prev.Points + p.Points } : p;
        }

        return d;
    }

    private void FinishUnit(IIngestWrite w, UnitState unit)
    {
        if (unit.DebtChanges.Count > 0)
        {
            unit.NewDenyVersion = _denyVersion + 1;
            w.SetMeta("denyVersion", unit.NewDenyVersion.Value.ToString(CultureInfo.InvariantCulture));
        }
    }

    // Runs under _gate after the unit committed: the in-memory deny list follows the store.
    private void AfterCommit(UnitState unit)
    {
        if (unit.NewDenyVersion is not { } version)
        {
            return;
        }

        foreach ((string pid, bool inDebt) in unit.DebtChanges)
        {
            if (inDebt)
            {
                _debtors.Add(pid);
            }
            else
            {
                _debtors.Remove(pid);
            }
        }

        _denyVersion = version;
        DenyList list = BuildDenyList();
        _logger.LogInformation("Deny list version {Version}: {Count} tokens ({Debtors} persons in debt)", list.Version, list.Tokens.Count, _debtors.Count);
        DenyListChanged?.Invoke(list);
    }

    private void QuarantineEvent(IIngestWrite w, UnitState unit, ref string? payloadHash, ReadOnlySpan<byte> payload, string device, string topic, ulong seq, string code, string reason, DateTimeOffset now)
    {
        payloadHash ??= Hash(payload);
        string id = payloadHash + "#" + seq.ToString(CultureInfo.InvariantCulture);
        if (w.AddQuarantine(new QuarantineRecord(id, "event", device, topic, code, reason, seq, now, payload.ToArray())))
        {
            unit.Quarantined++;
        }
    }

    private BatchOutcome Reject(string code, string device, string topic, ReadOnlySpan<byte> payload, string reason)
    {
        Quarantine(code, device, topic, payload, reason);
        return new BatchOutcome { Device = device, RejectedReason = reason };
    }

    private void Quarantine(string code, string device, string topic, ReadOnlySpan<byte> payload, string reason)
    {
        var record = new QuarantineRecord(Hash(payload), "batch", device, topic, code, reason, null, _time.GetUtcNow(), payload.ToArray());
        bool added = _store.Write(w => w.AddQuarantine(record));
        if (added)
        {
            _metrics.AddQuarantined(1);
            _logger.LogWarning("Batch on {Topic} quarantined ({Code}): {Reason}", topic, code, reason);
        }
    }

    private static string Hash(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));
}
