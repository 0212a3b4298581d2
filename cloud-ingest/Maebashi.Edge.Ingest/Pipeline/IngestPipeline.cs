using System.Collections.Concurrent;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Contract.Validation;
using Maebashi.Edge.Ingest.CardAuth;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// verify → quarantine → de-duplicate → resolve token → card → PID → rules → store (one durable unit per
/// batch, the de-duplication records committed with their effects) → ack. Thread-safe; units are serialised.
/// </summary>
/// <remarks>
/// The parts: <see cref="GroupCommitQueue{TItem, TResult}"/> batches units, <see cref="PersonEvaluator"/> runs
/// the rules for a person inside a unit, <see cref="DenyListTracker"/> keeps the deny list; this class
/// verifies, de-duplicates, resolves and builds the acks.
/// </remarks>
public sealed partial class IngestPipeline
{
    private readonly CityRegistry _registry;
    private readonly IIngestStore _store;
    private readonly TimeProvider _time;
    private readonly IngestMetrics _metrics;
    private readonly CardReadVerifier _cardReads;
    private readonly ILogger _logger;
    private readonly PersonEvaluator _persons;
    private readonly QuarantineLimits _quarantine;

    // Serialises the units of work and guards the deny list.
    private readonly Lock _gate = new();
    private readonly DenyListTracker _denyList;
    private readonly VehicleOccupancy _occupancy;
    private readonly GroupCommitQueue<PendingBatch, Applied> _groupCommit;
    private readonly ConcurrentDictionary<string, DeviceStatus> _statuses = new(StringComparer.Ordinal);

    /// <summary>Most batches written as one unit of work.</summary>
    private const int MaxBatchesPerUnit = 32;

    /// <summary>Most quarantine records purged in one unit of work (each unit stays short).</summary>
    private const int PurgeStep = 500;

    /// <param name="cardReads">Checks reads of authenticated cards; without it the registry may hold none (<see cref="CardReadVerifier.Create"/>).</param>
    /// <param name="quarantine">The quarantine's bounds; <see cref="QuarantineLimits.Default"/> when null.</param>
    public IngestPipeline(CityRegistry registry, IIngestStore store, TimeProvider time, IngestMetrics metrics, ILogger logger, WalletEvaluator? evaluate = null, CardReadVerifier? cardReads = null,
        QuarantineLimits? quarantine = null)
    {
        _quarantine = quarantine ?? QuarantineLimits.Default;
        _registry = registry;
        _cardReads = cardReads ?? CardReadVerifier.Create(registry, keyFile: null);
        _store = store;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _persons = new PersonEvaluator(registry, evaluate ?? WalletRules.EvaluateDays);
        _denyList = new DenyListTracker(registry, store);
        _occupancy = new VehicleOccupancy(registry, store);
        _groupCommit = new GroupCommitQueue<PendingBatch, Applied>(WriteGroup, MaxBatchesPerUnit);
        RefreshStoredMetrics();
    }

    /// <summary>
    /// Sets the metrics that count the store's state rather than this worker's work from the store, which every worker
    /// writes: the quarantine's records and drops, and each device's progress. At start and before each scrape.
    /// </summary>
    public void RefreshStoredMetrics()
    {
        IReadOnlyList<QuarantineUsage> usage = _store.QuarantineUsage();
        _metrics.SetQuarantineCount(usage.Sum(u => u.Records));
        foreach (QuarantineUsage u in usage)
        {
            foreach ((string code, long n) in u.Dropped)
            {
                _metrics.SetQuarantineDropped(u.Device, code, n);
            }
        }

        foreach (DeviceProgress d in _store.Devices())
        {
            _metrics.SetDeviceSeq(d.Device, d.UpTo);
        }
    }

    public CityRegistry Registry => _registry;

    /// <summary>The travel reviews kept, newest first (at most <see cref="TravelReviewLog.MaxEntries"/>).</summary>
    public IReadOnlyList<TravelReviewEntry> TravelReviews() => TravelReviewLog.Read(_store.GetMeta(TravelReviewLog.MetaKey));

    public IngestMetrics Metrics => _metrics;

    public IIngestStore Store => _store;

    /// <summary>Raised after a change of the deny list is committed (a debt crossing the limit, a top-up clearing it).</summary>
    public event Action<DenyList>? DenyListChanged;

    public DenyList CurrentDenyList()
    {
        lock (_gate)
        {
            return _denyList.Current();
        }
    }

    public IReadOnlyDictionary<string, DeviceStatus> Statuses => _statuses;

    /// <summary>The vehicle's current trip for the occupancy estimate, as committed by any worker (docs/ingest.md, "Occupancy").</summary>
    public VehicleTrip TripOf(string vehicle) => TripsOf([vehicle]).GetValueOrDefault(vehicle) ?? VehicleTrip.None;

    /// <summary>The vehicles' current trips, read from the store at once; a vehicle absent has no counted tap.</summary>
    public IReadOnlyDictionary<string, VehicleTrip> TripsOf(IEnumerable<string> vehicles) => _occupancy.TripsOf(vehicles);

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

        // Verification ran on the caller's thread, and so do the card reads' checks: a unit must find its batches as they
        // came whenever it runs (the store may run it again, IIngestStore.Write). The unit runs in the next group commit.
        CardReadCheck[] checks = CheckCardReads(device, read, now);
        Applied applied = await _groupCommit.Enqueue(new PendingBatch(device, topic, payload, read, checks, now)).ConfigureAwait(false);

        _metrics.RecordBatch(applied.Ack.Results, _time.GetElapsedTime(started), applied.NewestAt is { } at ? now - at : null);

        return new BatchOutcome { Device = device, Ack = applied.Ack };
    }

    /// <summary>A verified batch waiting for the next group commit, with the check of each event's card read (by index).</summary>
    private sealed record PendingBatch(string Device, string Topic, ReadOnlyMemory<byte> Payload, BatchReadResult Read, CardReadCheck[] Checks, DateTimeOffset Now);

    /// <summary>
    /// Checks the read of each event whose card the registry holds (<see cref="CardReadVerifier"/>: the same result
    /// whenever it runs); an event without a card, or with one the registry does not hold, gets
    /// <see cref="CardReadCheck.NotAuthenticated"/> (the unit refuses the latter).
    /// </summary>
    private CardReadCheck[] CheckCardReads(string device, BatchReadResult read, DateTimeOffset now)
    {
        var checks = new CardReadCheck[read.Events.Count];
        for (int i = 0; i < checks.Length; i++)
        {
            checks[i] = CardReadCheck.NotAuthenticated;
            if (read.Events[i].Event is { Card: { } cardRef } e && _registry.FindCard(cardRef.Tok) is { } card)
            {
                checks[i] = _cardReads.Check(card, device, e, now);
                // The proof has done its work: nothing of a certificate or a signature is stored (docs/contract.md §2).
                cardRef.Jpki = null;
            }
        }

        return checks;
    }

    // The group's batches as one unit of work; their acks once it is durable.
    private Applied[] WriteGroup(PendingBatch[] group)
    {
        var results = new Applied[group.Length];
        try
        {
            lock (_gate)
            {
                (string[] devices, string[] persons) = LockOrder(group);
                UnitState unit = _store.Write(w =>
                {
                    var u = new UnitState();
                    w.LockAhead(devices, WithTripEndRiders(w, group, persons));
                    for (int i = 0; i < group.Length; i++)
                    {
                        PendingBatch b = group[i];
                        results[i] = ApplyBatch(w, u, b.Device, b.Topic, b.Payload.Span, b.Read, b.Checks, b.Now);
                    }

                    WriteQuarantine(w, u);
                    FinishUnit(w, u);
                    return u;
                });
                AfterCommit(unit);
            }
        }
        catch (Exception e)
        {
            throw new InvalidOperationException("the batch could not be stored", e);
        }

        return results;
    }

    /// <summary>
    /// The group's devices and the persons its cards name, each sorted: the order the unit locks them in up front, so that
    /// two workers' units never wait on each other in a cycle.
    /// </summary>
    private (string[] Devices, string[] Persons) LockOrder(PendingBatch[] group)
    {
        var persons = new SortedSet<string>(StringComparer.Ordinal);
        foreach (PendingBatch b in group)
        {
            foreach (ReadEvent ev in b.Read.Events)
            {
                if (ev.Event?.Card is { } card && _registry.FindCard(card.Tok) is { } entry)
                {
                    persons.Add(entry.Pid);
                }
            }
        }

        return ([.. group.Select(b => b.Device).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], [.. persons]);
    }

    /// <summary>
    /// The persons to lock, with the riders of the group's trip_ends (whom the unit evaluates too: a trip_end closes the
    /// open trips on its vehicle), in pid order. Locked later, one by one, they would be taken out of order, and two
    /// workers' units could each wait for a person the other holds (PostgreSQL breaks that after a second, then runs
    /// one unit again).
    /// </summary>
    private static string[] WithTripEndRiders(IIngestWrite w, PendingBatch[] group, string[] persons)
    {
        SortedSet<string>? all = null;
        foreach (PendingBatch b in group)
        {
            foreach (ReadEvent ev in b.Read.Events)
            {
                if (ev.Event is { Type: EventTypes.TripEnd, Card: null, Ctx.Vehicle: { } vehicle } e)
                {
                    (all ??= new SortedSet<string>(persons, StringComparer.Ordinal)).UnionWith(w.PersonsBoarded(vehicle, e.At - RuleWindows.Trip, e.At));
                }
            }
        }

        return all is null ? persons : [.. all];
    }

    /// <summary>What one unit of work gathers for its end and for after its commit: who went into or out of debt, vehicles' taps, travel reviews, quarantine records, refused reads.</summary>
    private sealed class UnitState
    {
        public DenyChanges Deny { get; } = new();
        public VehicleOccupancy.Changes Occupancy { get; } = new();

        /// <summary>Travel reviews the unit's taps brought (<see cref="TravelRules"/>), with when they were flagged.</summary>
        public List<(TravelReview Review, DateTimeOffset FlaggedAt)> TravelReviews { get; } = [];

        /// <summary>How many of them were new to the stored log, for the metric once committed.</summary>
        public int TravelReviewsAdded { get; set; }

        /// <summary>The quarantine records of the unit's events, in the order refused.</summary>
        public List<QuarantineEntry> Quarantine { get; } = [];

        /// <summary>Card reads refused, by code, for the metric once committed (a unit the store retries counts once).</summary>
        public List<string> RefusedReads { get; } = [];
    }

    private sealed record Applied(Ack Ack, DateTimeOffset? NewestAt);

    private Applied ApplyBatch(IIngestWrite w, UnitState unit, string device, string topic, ReadOnlySpan<byte> payload, BatchReadResult read, CardReadCheck[] checks, DateTimeOffset now)
    {
        var results = new EventResult[read.Events.Count];
        var fresh = new List<(int Index, TapRecord Tap)>(read.Events.Count);
        var candidates = new List<(int Index, TapRecord Tap)>(read.Events.Count);
        // Each person to evaluate, with the first service day a new fact of theirs can change.
        var affected = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
        // The payload's hash and size and the bytes a quarantine keeps, made once per batch.
        QuarantinedPayload? quarantined = null;
        DateTimeOffset? newest = null;

        for (int i = 0; i < read.Events.Count; i++)
        {
            ReadEvent ev = read.Events[i];
            if (ev.Event is not { } e)
            {
                string reason = ev.Error!.ToString();
                results[i] = new EventResult { Seq = ev.Seq, Status = ResultStatus.Rejected, Reason = reason };
                QuarantineEvent(unit, ref quarantined, payload, device, topic, ev.Seq, ev.Error.Code.ToString(), reason, now);
                continue;
            }

            string? pid = null;
            CardReadCheck cardRead = CardReadCheck.NotAuthenticated;
            if (e.Card is { } cardRef)
            {
                CardEntry? card = _registry.FindCard(cardRef.Tok);
                if (card is null)
                {
                    const string reason = "card.tok: unknown card token";
                    results[i] = new EventResult { Seq = e.Seq, Status = ResultStatus.Rejected, Reason = reason };
                    QuarantineEvent(unit, ref quarantined, payload, device, topic, e.Seq, nameof(ErrorCode.UnknownCard), reason, now);
                    continue;
                }

                cardRead = checks[i];
                if (!cardRead.Accepted)
                {
                    results[i] = new EventResult { Seq = e.Seq, Status = ResultStatus.Rejected, Reason = cardRead.Reason };
                    QuarantineEvent(unit, ref quarantined, payload, device, topic, e.Seq, cardRead.Problem!.Value.ToString(), cardRead.Reason!, now);
                    unit.RefusedReads.Add(cardRead.Problem.Value.ToString());
                    if (cardRead.Problem == CardReadProblem.Clone)
                    {
                        // The card goes on the deny list with this unit's commit (reason clone).
                        unit.Deny.Clones.TryAdd(card.Token, e.At);
                    }

                    continue;
                }

                pid = card.Pid;
            }

            candidates.Add((i, new TapRecord(device, e.Seq, pid, e.Type, e.Ctx.Vehicle, e.At, now, e, cardRead.Auth, cardRead.Counter, cardRead.Jpki)));
        }

        // The de-duplication record of the batch's taps at once (PostgreSQL: one statement, not one per tap).
        bool[] added = w.TryAddTaps([.. candidates.Select(c => c.Tap)]);
        for (int k = 0; k < candidates.Count; k++)
        {
            (int i, TapRecord tap) = candidates[k];
            if (!added[k])
            {
                results[i] = new EventResult { Seq = tap.Seq, Status = ResultStatus.Duplicate, Reason = "already applied" };
                continue;
            }

            fresh.Add((i, tap));
            newest = newest is null || tap.At > newest ? tap.At : newest;
            DateOnly replayFrom = WalletRules.ReplayFrom(_registry, tap.ToStoredTap());
            if (tap.Pid is { } pid)
            {
                Affect(affected, pid, replayFrom);
            }
            else if (tap.Type == EventTypes.TripEnd && tap.Vehicle is { } vehicle)
            {
                // A trip_end closes the open trips of everyone who boarded this vehicle in the last 180 minutes.
                foreach (string boarded in w.PersonsBoarded(vehicle, tap.At - RuleWindows.Trip, tap.At))
                {
                    Affect(affected, boarded, replayFrom);
                }
            }
        }

        var views = new Dictionary<string, WalletView>(affected.Count, StringComparer.Ordinal);
        foreach ((string pid, DateOnly replayFrom) in affected)
        {
            views[pid] = _persons.Evaluate(w, pid, now, unit.Deny, replayFrom);
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
                string code = CardSignals.RefusalCode(view, tap);
                QuarantineEvent(unit, ref quarantined, payload, device, topic, tap.Seq, code, r.Reason ?? "rejected by the rules", now);
                if (code != CardSignals.RuleCode)
                {
                    unit.RefusedReads.Add(code);
                }
            }
        }

        CardSignals.Collect(views.Values, [.. fresh.Select(f => f.Tap)], unit.Deny, unit.TravelReviews, now);

        foreach ((int index, TapRecord tap) in fresh)
        {
            _occupancy.Stage(unit.Occupancy, tap, results[index].Status);
        }

        DeviceProgress? progress = w.GetDevice(device);
        ulong upTo = read.Events.Count == 0 ? progress?.UpTo ?? 0 : Math.Max(progress?.UpTo ?? 0, read.Events[^1].Seq);
        w.PutDevice(new DeviceProgress(device, upTo, now, (progress?.EventsApplied ?? 0) + fresh.Count));
        return new Applied(new Ack { UpTo = upTo, Results = [.. results] }, newest);
    }

    private static void Affect(Dictionary<string, DateOnly> affected, string pid, DateOnly replayFrom)
    {
        if (!affected.TryGetValue(pid, out DateOnly day) || replayFrom < day)
        {
            affected[pid] = replayFrom;
        }
    }

    // The shared keys' locks in one order for every unit (IIngestWrite.GetMetaForUpdate): the deny version last.
    private void FinishUnit(IIngestWrite w, UnitState unit)
    {
        VehicleOccupancy.Write(w, unit.Occupancy);
        if (unit.TravelReviews.Count > 0)
        {
            unit.TravelReviewsAdded = TravelReviewLog.Append(w, unit.TravelReviews);
        }

        _denyList.Stage(w, unit.Deny);
    }

    // Runs under _gate after the unit committed: the in-memory deny list follows the store.
    private void AfterCommit(UnitState unit)
    {
        foreach (string code in unit.RefusedReads)
        {
            _metrics.CardReadRefused(code);
        }

        _metrics.TravelReviewed(unit.TravelReviewsAdded);

        if (_denyList.Commit(unit.Deny) is not { } list)
        {
            return;
        }

        _logger.LogInformation("Deny list version {Version}: {Count} tokens ({Debtors} persons in debt)", list.Version, list.Tokens.Count, _denyList.DebtorCount);
        DenyListChanged?.Invoke(list);
    }

    private void QuarantineEvent(UnitState unit, ref QuarantinedPayload? quarantined, ReadOnlySpan<byte> payload, string device, string topic, ulong seq, string code, string reason, DateTimeOffset now)
    {
        quarantined ??= QuarantinedPayload.Of(payload, _quarantine.PayloadBytes);
        unit.Quarantine.Add(quarantined.Entry(QuarantineKind.Event, device, topic, code, reason, seq, now));
    }

    /// <summary>
    /// Writes the unit's quarantine records, in the order refused. At the unit's end, not as each event is refused: the
    /// quarantine's totals are one row every worker's units lock (PostgreSQL), held from here to the commit, and taken
    /// after the unit's persons like its other shared locks.
    /// </summary>
    private void WriteQuarantine(IIngestWrite w, UnitState unit)
    {
        foreach (QuarantineEntry entry in unit.Quarantine)
        {
            w.AddQuarantine(entry, _quarantine);
        }
    }

    private BatchOutcome Reject(string code, string device, string topic, ReadOnlySpan<byte> payload, string reason)
    {
        Quarantine(code, device, topic, payload, reason);
        return new BatchOutcome { Device = device, RejectedReason = reason };
    }

    private void Quarantine(string code, string device, string topic, ReadOnlySpan<byte> payload, string reason)
    {
        // A redelivery of the same payload (same device and code) counts as a repeat of its record.
        QuarantineEntry entry = QuarantinedPayload.Of(payload, _quarantine.PayloadBytes).Entry(QuarantineKind.Batch, device, topic, code, reason, null, _time.GetUtcNow());
        // Past the limits a refusal is only counted (the store's drop count): a log line per refusal would let one
        // device flood the log instead.
        if (_store.Write(w => w.AddQuarantine(entry, _quarantine)) == QuarantineOutcome.Added)
        {
            _logger.LogWarning("Batch on {Topic} quarantined ({Code}): {Reason}", topic, code, reason);
        }
    }

    /// <summary>
    /// Removes the quarantine records older than the retention (<see cref="QuarantineLimits.Retention"/>), a step at a
    /// time so that intake never waits long behind it; returns how many. The hosted upkeep calls it, not a request.
    /// </summary>
    public int PurgeQuarantine()
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset cutoff = now - DateTimeOffset.MinValue <= _quarantine.Retention ? DateTimeOffset.MinValue : now - _quarantine.Retention;
        int purged = 0;
        int step;
        do
        {
            step = _store.PurgeQuarantine(cutoff, PurgeStep);
            purged += step;
        }
        while (step == PurgeStep);

        return purged;
    }
}
