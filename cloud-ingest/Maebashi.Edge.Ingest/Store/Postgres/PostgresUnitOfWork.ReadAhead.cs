using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using NpgsqlTypes;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The read-ahead of a unit (<see cref="LockAhead"/>): what the evaluations of the unit's persons will ask for, read in
/// the round trip that locks them, and the unit's own taps and top-ups added to it as they are inserted.
/// </summary>
internal sealed partial class PostgresUnitOfWork
{
    /// <summary>What an evaluation of <see cref="Pid"/> from <see cref="Day"/> (the first day: no checkpoint) reads, from the read-ahead.</summary>
    private sealed record ReplayInputs(string Pid, DateOnly Day, List<TapRecord> Taps, SettledDays Settled, List<ValueChange> ValueChanges)
    {
        public DateTimeOffset Start => Day == DateOnly.MinValue ? DateTimeOffset.MinValue : WalletRules.DayStart(Day);
    }

    // Taken from the read-ahead for the evaluation under way (CheckpointFor, or TapsOfPerson for a new person); dropped
    // when anything the unit adds could change it.
    private ReplayInputs? _replay;

    /// <summary>
    /// What LockAhead read of a person: the latest resumable checkpoint (null: none) and, from its day on (every day
    /// without one), the taps, trips, postings, top-ups and adjustments — as committed before this unit wrote anything.
    /// </summary>
    private sealed record Prefetched(DayCheckpoint? Latest, List<TapRecord> Taps, List<Trip> Trips, List<Posting> Postings, List<ValueChange> ValueChanges);

    // Persons read ahead and not written since by this unit, and what the unit added for them after that read.
    private readonly Dictionary<string, Prefetched> _prefetched = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TapRecord>> _tapsSincePrefetch = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ValueChange>> _changesSincePrefetch = new(StringComparer.Ordinal);

    /// <summary>Where what was read ahead of a person starts: the start of the latest checkpoint's day (none: every fact).</summary>
    private static DateTimeOffset PrefetchStart(Prefetched pre) => pre.Latest is { } latest ? WalletRules.DayStart(latest.Day) : DateTimeOffset.MinValue;

    private ReplayInputs FromPrefetch(string pid, Prefetched pre)
    {
        DateOnly day = pre.Latest?.Day ?? DateOnly.MinValue;
        DateTimeOffset start = PrefetchStart(pre);
        List<TapRecord> taps = pre.Taps;
        if (_tapsSincePrefetch.TryGetValue(pid, out List<TapRecord>? added))
        {
            // In the order the store reads them in (at, device, seq).
            taps = [.. taps.Concat(added.Where(t => t.At >= start)).OrderBy(t => t.At.UtcTicks).ThenBy(t => t.Device, StringComparer.Ordinal).ThenBy(t => t.Seq)];
        }

        return new ReplayInputs(pid, day, taps, new SettledDays(pre.Trips, pre.Postings), ChangesOf(pid, pre));
    }

    private List<ValueChange> ChangesOf(string pid, Prefetched pre) =>
        _changesSincePrefetch.TryGetValue(pid, out List<ValueChange>? added) ? [.. pre.ValueChanges, .. added] : pre.ValueChanges;

    /// <summary>Reads ahead, in the batch that locks the persons, what their evaluations will ask for (<see cref="Prefetched"/>).</summary>
    private static void AddPrefetch(NpgsqlBatch batch, string[] pids)
    {
        const string Starts = "WITH s AS (SELECT p.pid, (SELECT k.day FROM checkpoints k WHERE k.pid = p.pid AND k.can_resume ORDER BY k.day DESC LIMIT 1) AS day FROM unnest($1::text[]) AS p(pid))";
        const string StartTicks = "COALESCE((extract(epoch FROM s.day::timestamp - interval '6 hours') * 10000000)::bigint + 621355968000000000, -9223372036854775808)";
        batch.BatchCommands.Add(BatchCommand(
            "SELECT p.pid, k.body FROM unnest($1::text[]) AS p(pid) CROSS JOIN LATERAL (SELECT c.body FROM checkpoints c WHERE c.pid = p.pid AND c.can_resume ORDER BY c.day DESC LIMIT 1) k",
            Array(pids, NpgsqlDbType.Text)));
        // LATERAL: each person's rows are a range of their index, whatever the table's size (a join would let the
        // planner scan the whole table, which grows with the history).
        batch.BatchCommands.Add(BatchCommand(
            $"{Starts} SELECT s.pid, t.body FROM s CROSS JOIN LATERAL (SELECT x.body, x.at, x.device, x.seq FROM taps x WHERE x.pid = s.pid AND x.at >= {StartTicks}) t ORDER BY s.pid, t.at, t.device, t.seq",
            Array(pids, NpgsqlDbType.Text)));
        batch.BatchCommands.Add(BatchCommand(
            $"{Starts} SELECT s.pid, r.body FROM s CROSS JOIN LATERAL (SELECT x.body, x.service_day, x.n FROM trips x WHERE x.pid = s.pid AND x.service_day >= COALESCE(to_char(s.day, 'YYYY-MM-DD'), '')) r ORDER BY s.pid, r.service_day, r.n",
            Array(pids, NpgsqlDbType.Text)));
        batch.BatchCommands.Add(BatchCommand(
            $"{Starts} SELECT s.pid, {string.Join(", ", PostingColumns.Split(", ").Select(c => "q." + c))} FROM s CROSS JOIN LATERAL (SELECT x.* FROM postings x WHERE x.pid = s.pid AND x.at >= {StartTicks}) q ORDER BY s.pid, q.at, q.n",
            Array(pids, NpgsqlDbType.Text)));
        batch.BatchCommands.Add(BatchCommand(
            $"{Starts} SELECT {string.Join(", ", ValueChangeColumns.Split(", ").Select(c => "v." + c))} FROM s CROSS JOIN LATERAL (SELECT x.* FROM value_changes x WHERE x.pid = s.pid AND x.at >= {StartTicks}) v ORDER BY v.pid, v.at, v.key",
            Array(pids, NpgsqlDbType.Text)));
    }

    private void ReadPrefetch(NpgsqlDataReader r, string[] pids)
    {
        var read = pids.ToDictionary(p => p, _ => new Prefetched(null, [], [], [], []), StringComparer.Ordinal);
        r.NextResult();
        while (r.Read())
        {
            string pid = r.GetString(0);
            read[pid] = read[pid] with { Latest = ReadCheckpoint(r, 1) };
        }

        r.NextResult();
        while (r.Read())
        {
            read[r.GetString(0)].Taps.Add(ReadTap(r, 1));
        }

        r.NextResult();
        while (r.Read())
        {
            read[r.GetString(0)].Trips.Add(ReadTrip(r, 1));
        }

        r.NextResult();
        while (r.Read())
        {
            read[r.GetString(0)].Postings.Add(ReadPosting(r, 1));
        }

        r.NextResult();
        while (r.Read())
        {
            (string pid, ValueChange change) = ReadValueChange(r);
            read[pid].ValueChanges.Add(change);
        }

        foreach ((string pid, Prefetched p) in read)
        {
            _prefetched[pid] = p;
        }
    }
}
