using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using NpgsqlTypes;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// One unit of work inside the transaction of <see cref="PostgresIngestStore.Write{T}"/>. Everything goes to the
/// database at once (reads see the unit's own writes); the only state kept here is each person's state as this
/// unit read or wrote it. <see cref="PutPerson"/> replaces the trips and postings of the days an evaluation replayed.
/// </summary>
internal sealed partial class PostgresUnitOfWork(NpgsqlConnection c, NpgsqlTransaction tx) : IIngestWrite
{
    private readonly Dictionary<string, PersonState?> _persons = new(StringComparer.Ordinal);

    public bool TryAddTap(TapRecord tap)
    {
        _replay = null;
        // A concurrent worker inserting the same (device, seq) holds the index entry: this insert waits for its
        // commit, then sees the conflict (or inserts, when that worker rolled back).
        using NpgsqlCommand cmd = Command(c, tx,
            "INSERT INTO taps (device, seq, pid, type, vehicle, at, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (device, seq) DO NOTHING",
            Text(tap.Device), Long(Seq(tap.Seq)), Text(tap.Pid), Text(tap.Type), Text(tap.Vehicle), Long(tap.At.UtcTicks), Json(StoreJson.Tap(tap)));
        if (cmd.ExecuteNonQuery() != 1)
        {
            return false;
        }

        AddedSincePrefetch(tap);
        return true;
    }

    // A tap of a person read ahead is not in what was read: the evaluation adds it; so is a trip_end of a vehicle whose
    // trip_ends the unit holds.
    private void AddedSincePrefetch(TapRecord tap)
    {
        if (tap.Pid is null && tap.Type == EventTypes.TripEnd && tap.Vehicle is { } vehicle
            && _tripEnds.TryGetValue(vehicle, out HeldTripEnds? held) && tap.At >= held.From && tap.At <= held.To)
        {
            _tripEnds[vehicle] = held with { Taps = [.. held.Taps.Append(tap).OrderBy(t => t.At.UtcTicks).ThenBy(t => t.Device, StringComparer.Ordinal).ThenBy(t => t.Seq)] };
        }

        if (tap.Pid is { } pid && _prefetched.ContainsKey(pid))
        {
            if (!_tapsSincePrefetch.TryGetValue(pid, out List<TapRecord>? list))
            {
                _tapsSincePrefetch[pid] = list = [];
            }

            list.Add(tap);
        }
    }

    public bool[] TryAddTaps(IReadOnlyList<TapRecord> taps)
    {
        _replay = null;
        bool[] added = new bool[taps.Count];
        if (taps.Count == 0)
        {
            return added;
        }

        // A key twice in the list: only its first tap is offered (as one by one, the second would be a duplicate).
        var firsts = new Dictionary<(string, ulong), int>();
        for (int i = 0; i < taps.Count; i++)
        {
            firsts.TryAdd((taps[i].Device, taps[i].Seq), i);
        }

        TapRecord[] offered = [.. firsts.Values.Order().Select(i => taps[i])];
        using NpgsqlCommand cmd = Command(c, tx, """
            INSERT INTO taps (device, seq, pid, type, vehicle, at, body)
            SELECT d, s, p, t, v, a, b FROM unnest($1, $2, $3, $4, $5, $6, $7) AS x(d, s, p, t, v, a, b)
            ON CONFLICT (device, seq) DO NOTHING
            RETURNING device, seq
            """,
            Array(offered.Select(t => t.Device).ToArray(), NpgsqlDbType.Text),
            Array(offered.Select(t => Seq(t.Seq)).ToArray(), NpgsqlDbType.Bigint),
            Array(offered.Select(t => t.Pid).ToArray(), NpgsqlDbType.Text),
            Array(offered.Select(t => t.Type).ToArray(), NpgsqlDbType.Text),
            Array(offered.Select(t => t.Vehicle).ToArray(), NpgsqlDbType.Text),
            Array(offered.Select(t => t.At.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
            JsonArray(offered.Select(StoreJson.Tap)));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            added[firsts[(r.GetString(0), Seq(r.GetInt64(1)))]] = true;
        }

        for (int i = 0; i < taps.Count; i++)
        {
            if (added[i])
            {
                AddedSincePrefetch(taps[i]);
            }
        }

        return added;
    }

    public IReadOnlyList<TapRecord> TapsOfPerson(string pid, DateTimeOffset from)
    {
        if (_replay is { } read && read.Pid == pid && read.Start == from)
        {
            return read.Taps;
        }

        if (from == DateTimeOffset.MinValue && _prefetched.TryGetValue(pid, out Prefetched? pre) && pre.Latest is null)
        {
            // Every tap of a person without a checkpoint (a new person: none stored before this unit).
            _replay = FromPrefetch(pid, pre);
            return _replay.Taps;
        }

        using NpgsqlCommand cmd = Command(c, tx, "SELECT body FROM taps WHERE pid = $1 AND at >= $2 ORDER BY at, device, seq", Text(pid), Long(from.UtcTicks));
        return List(cmd, r => ReadTap(r, 0));
    }

    public DayCheckpoint? CheckpointFor(string pid, DateOnly day)
    {
        // Read with the unit's lock (LockAhead): the latest resumable checkpoint, which is the answer when it is not
        // after the day (a new fact; a late one goes further back and reads again).
        if (_prefetched.TryGetValue(pid, out Prefetched? pre) && (pre.Latest is null || pre.Latest.Day <= day))
        {
            _replay = FromPrefetch(pid, pre);
            return pre.Latest;
        }

        // A late fact before the checkpoint read ahead (or a person read again in this unit): WalletRules.Resume over the
        // stored checkpoints, the latest resumable one at or before the day; the evaluation's next reads go to the database.
        Flush();
        using NpgsqlCommand cmd = Command(c, tx,
            "SELECT body FROM checkpoints WHERE pid = $1 AND day <= $2 AND can_resume ORDER BY day DESC LIMIT 1", Text(pid), Date(day));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? ReadCheckpoint(r, 0) : null;
    }

    public void PutCheckpoints(string pid, IReadOnlyList<DayCheckpoint> checkpoints)
    {
        if (checkpoints.Count == 0)
        {
            return;
        }

        // Sent with the unit's other person writes (Flush); the person's earlier ones first.
        if (_pending?.Holds(pid, checkpoints: true) == true)
        {
            Flush();
        }

        (_pending ??= new PostgresPersonWrites()).PutCheckpoints(pid, checkpoints);
        _prefetched.Remove(pid);
    }

    public IReadOnlyList<TapRecord> TripEnds(string vehicle, DateTimeOffset from, DateTimeOffset to)
    {
        // The persons of a unit ride the same few vehicles around the same hours: one read of a vehicle's trip_ends over a
        // wider window serves the evaluations after it (this unit's own trip_ends are added as they are inserted).
        if (!_tripEnds.TryGetValue(vehicle, out HeldTripEnds? held) || from < held.From || to > held.To)
        {
            long lo = Math.Max(DateTimeOffset.MinValue.UtcTicks, Math.Min(from.UtcTicks, held?.From.UtcTicks ?? long.MaxValue) - TripEndsMargin.Ticks);
            long hi = Math.Min(DateTimeOffset.MaxValue.UtcTicks, Math.Max(to.UtcTicks, held?.To.UtcTicks ?? long.MinValue) + TripEndsMargin.Ticks);
            using NpgsqlCommand cmd = Command(c, tx,
                "SELECT body FROM taps WHERE vehicle = $1 AND type = $2 AND pid IS NULL AND at BETWEEN $3 AND $4 ORDER BY at, device, seq",
                Text(vehicle), Text(EventTypes.TripEnd), Long(lo), Long(hi));
            _tripEnds[vehicle] = held = new HeldTripEnds(At(lo), At(hi), List(cmd, r => ReadTap(r, 0)));
        }

        return [.. held.Taps.Where(t => t.At >= from && t.At <= to)];
    }

    /// <summary>How far beyond an evaluation's window a vehicle's trip_ends are read for the unit's later evaluations.</summary>
    private static readonly TimeSpan TripEndsMargin = TimeSpan.FromHours(12);

    /// <summary>A vehicle's trip_ends with <c>From ≤ at ≤ To</c> as this unit sees them, in time order.</summary>
    private sealed record HeldTripEnds(DateTimeOffset From, DateTimeOffset To, List<TapRecord> Taps);

    private readonly Dictionary<string, HeldTripEnds> _tripEnds = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> PersonsBoarded(string vehicle, DateTimeOffset from, DateTimeOffset to)
    {
        using NpgsqlCommand cmd = Command(c, tx,
            "SELECT DISTINCT pid FROM taps WHERE vehicle = $1 AND type = $2 AND pid IS NOT NULL AND at BETWEEN $3 AND $4",
            Text(vehicle), Text(EventTypes.Board), Long(from.UtcTicks), Long(to.UtcTicks));
        return List(cmd, r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlyList<ValueChange> ValueChangesOf(string pid, DateTimeOffset from)
    {
        if (_replay is { } read && read.Pid == pid && read.Start <= from)
        {
            return [.. read.ValueChanges.Where(t => t.At >= from)];
        }

        if (_prefetched.TryGetValue(pid, out Prefetched? pre) && PrefetchStart(pre) <= from)
        {
            return [.. ChangesOf(pid, pre).Where(t => t.At >= from)];
        }

        using NpgsqlCommand cmd = Command(c, tx, $"SELECT {ValueChangeColumns} FROM value_changes WHERE pid = $1 AND at >= $2 ORDER BY at, key", Text(pid), Long(from.UtcTicks));
        return List(cmd, r => ReadValueChange(r).Change);
    }

    public (string Pid, ValueChange Change)? FindValueChange(string key)
    {
        using NpgsqlCommand cmd = Command(c, tx, $"SELECT {ValueChangeColumns} FROM value_changes WHERE key = $1", Text(key));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? ReadValueChange(r) : null;
    }

    public bool TryAddValueChange(string pid, ValueChange change)
    {
        _replay = null;
        using NpgsqlCommand cmd = Command(c, tx,
            "INSERT INTO value_changes (key, id, kind, pid, amount, at, reason, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
            Text(change.Key), Text(change.Id), new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Smallint, Value = (short)change.Kind },
            Text(pid), Long(change.Amount), Long(change.At.UtcTicks), Text(change.Reason), Text(change.Note));
        if (cmd.ExecuteNonQuery() != 1)
        {
            return false;
        }

        if (_prefetched.ContainsKey(pid))
        {
            if (!_changesSincePrefetch.TryGetValue(pid, out List<ValueChange>? list))
            {
                _changesSincePrefetch[pid] = list = [];
            }

            list.Add(change);
        }

        return true;
    }

    public PersonState? GetPersonForUpdate(string pid)
    {
        if (!_persons.TryGetValue(pid, out PersonState? state))
        {
            Flush();
            _persons[pid] = state = Person(c, tx, pid, forUpdate: true);
        }

        return state;
    }

    public SettledDays SettledFrom(string pid, DateOnly from)
    {
        if (_replay is { } read && read.Pid == pid && read.Day == from)
        {
            return read.Settled;
        }

        Flush();
        return PostgresQueries.SettledFrom(c, tx, pid, from);
    }

    public void LockAhead(IReadOnlyList<string> devices, IReadOnlyList<string> persons)
    {
        foreach (string device in devices)
        {
            LockDevice(c, tx, device);
        }

        if (persons.Count == 0)
        {
            return;
        }

        // Missing rows inserted, then every row locked, in pid order: a unit of another worker locking some of the
        // same persons takes them in the same order, so one waits for the other instead of both for each other. The
        // locked rows are the persons' states for the rest of the unit (no second read per person).
        string[] pids = [.. persons];
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand("INSERT INTO persons (pid) SELECT p FROM unnest($1) AS t(p) ORDER BY p ON CONFLICT (pid) DO NOTHING", Array(pids, NpgsqlDbType.Text)));
        batch.BatchCommands.Add(BatchCommand($"SELECT pid, {PersonColumns} FROM persons WHERE pid = ANY($1) ORDER BY pid FOR UPDATE", Array(pids, NpgsqlDbType.Text)));
        AddPrefetch(batch, pids);
        using NpgsqlDataReader r = batch.ExecuteReader();
        while (r.Read())
        {
            string pid = r.GetString(0);
            _persons[pid] = ReadPerson(r, 1, pid);
        }

        ReadPrefetch(r, pids);
    }

    // Nothing in a unit reads a sector back (an operator's lookup does): sent with the unit's person writes (Flush).
    public void IndexSector(string sectorId, string pid) => (_pending ??= new PostgresPersonWrites()).IndexSector(sectorId, pid);

    public void PutPerson(PersonState state, SettledDays replayed, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations, DateTimeOffset replayedFrom)
    {
        // The person is locked by now (an evaluation reads it first); a person without a state has nothing to replace.
        PersonState? before = GetPersonForUpdate(state.Pid);
        if (_pending?.Holds(state.Pid) == true)
        {
            // A second write of the person in this unit: the first goes before it.
            Flush();
        }

        PostgresPersonWrites writes = _pending ??= new PostgresPersonWrites();
        DateOnly from = replayedFrom == DateTimeOffset.MinValue ? DateOnly.MinValue : SettledDays.ServiceDayOf(replayedFrom);
        if (replayed.Trips.Select(SettledDays.DayOf).Concat(replayed.Postings.Select(SettledDays.DayOf)).DefaultIfEmpty(from).Min() is { } first && first < from)
        {
            // A result dated before the first replayed day (not expected): that day is replaced too, never duplicated.
            from = first;
        }

        // Check-ins and participations of the replayed days are replaced too; earlier ones stay. A person's first
        // state has none stored.
        long replaced = replayedFrom == DateTimeOffset.MinValue ? long.MinValue : replayedFrom.UtcTicks;
        writes.Put(state, replayed, from, stored: before is not null, replaced, newEntries);

        if (checkIns.Count > 0)
        {
            writes.Add(BatchCommand($"""
                INSERT INTO checkins ({CheckInColumns})
                SELECT $1, * FROM unnest($2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (pid, clinic, day) DO UPDATE SET patient_no = excluded.patient_no, queue = excluded.queue,
                    child = excluded.child, at = excluded.at, my_number = excluded.my_number
                """,
                Text(state.Pid),
                Array(checkIns.Select(x => x.Clinic).ToArray(), NpgsqlDbType.Text),
                Array(checkIns.Select(x => x.Date).ToArray(), NpgsqlDbType.Date),
                Array(checkIns.Select(x => x.PatientNo).ToArray(), NpgsqlDbType.Text),
                Array(checkIns.Select(x => x.Queue).ToArray(), NpgsqlDbType.Integer),
                Array(checkIns.Select(x => x.ChildMedicalSubsidy).ToArray(), NpgsqlDbType.Boolean),
                Array(checkIns.Select(x => x.At.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                Array(checkIns.Select(x => x.MyNumber).ToArray(), NpgsqlDbType.Boolean)));
        }

        if (participations.Count > 0)
        {
            writes.Add(BatchCommand($"""
                INSERT INTO participations ({ParticipationColumns})
                SELECT $1, * FROM unnest($2, $3, $4, $5, $6, $7)
                ON CONFLICT (pid, event) DO UPDATE SET sector = excluded.sector, sector_id = excluded.sector_id,
                    in_at = excluded.in_at, out_at = excluded.out_at, points = excluded.points
                """,
                Text(state.Pid),
                Array(participations.Select(x => x.Event).ToArray(), NpgsqlDbType.Text),
                Array(participations.Select(x => x.Sector).ToArray(), NpgsqlDbType.Text),
                Array(participations.Select(x => x.SectorId).ToArray(), NpgsqlDbType.Text),
                Array(participations.Select(x => x.In.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                NullableArray(participations.Select(x => x.Out?.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                Array(participations.Select(x => x.Points).ToArray(), NpgsqlDbType.Bigint)));
        }

        // Sent with the unit's other writes at the next read that could see them, or before the commit (Flush).
        _persons[state.Pid] = state;
        _replay = null;
        _prefetched.Remove(state.Pid);
    }

    // Person writes not sent yet: PutPerson and PutCheckpoints of the unit's persons.
    private PostgresPersonWrites? _pending;

    /// <summary>
    /// Sends the unit's person writes not sent yet, as one round trip: before a read of what they change (a person, their
    /// checkpoints, trips or postings, read again in the same unit) and before the commit.
    /// </summary>
    public void Flush()
    {
        if (_pending is not { } writes)
        {
            return;
        }

        _pending = null;
        using var batch = new NpgsqlBatch(c, tx);
        writes.AddTo(batch);
        batch.ExecuteNonQuery();
    }

    public DeviceProgress? GetDevice(string device) => Device(c, tx, device, forUpdate: true);

    public void PutDevice(DeviceProgress progress)
    {
        using NpgsqlCommand cmd = Command(c, tx, $"""
            INSERT INTO devices ({DeviceColumns}) VALUES ($1, $2, $3, $4)
            ON CONFLICT (device) DO UPDATE SET up_to = excluded.up_to, last_seen = excluded.last_seen, events_applied = excluded.events_applied
            """,
            Text(progress.Device), Long(Seq(progress.UpTo)), Long(progress.LastSeen.UtcTicks), Long(progress.EventsApplied));
        cmd.ExecuteNonQuery();
    }

    public QuarantineOutcome AddQuarantine(QuarantineEntry entry, QuarantineLimits limits) => PostgresQuarantine.Add(c, tx, entry, limits);

    public string? GetMeta(string key) => Meta(c, tx, key);

    public string? GetMetaForUpdate(string key) => MetaForUpdate(c, tx, key);

    public void LockKey(string key)
    {
        using NpgsqlCommand cmd = Command(c, tx, LockMetaKeySql, Text(key));
        cmd.ExecuteNonQuery();
    }

    public void SetMeta(string key, string value)
    {
        using NpgsqlCommand cmd = Command(c, tx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", Text(key), Text(value));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Stores or (with an empty payload) removes a retained message in this unit.</summary>
    public void PutRetained(RetainedRecord message)
    {
        using NpgsqlCommand cmd = message.Payload.Length == 0
            ? Command(c, tx, "DELETE FROM retained WHERE topic = $1", Text(message.Topic))
            : Command(c, tx, "INSERT INTO retained (topic, payload) VALUES ($1, $2) ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload", Text(message.Topic), Bytes(message.Payload));
        cmd.ExecuteNonQuery();
    }
}
