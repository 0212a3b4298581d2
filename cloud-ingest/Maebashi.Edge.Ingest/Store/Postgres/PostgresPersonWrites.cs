using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using NpgsqlTypes;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The person writes of a unit not sent yet (<see cref="PostgresUnitOfWork.PutPerson"/>, <see cref="PostgresUnitOfWork.PutCheckpoints"/>,
/// and new riders' sector IDs), sent as one statement per table for all the unit's persons, in one round trip: PostgreSQL
/// spends far more on each statement than on each row, a unit of a group commit writes hundreds of persons, and the unit
/// waits for each round trip (docs/benchmarks.md, session 19).
/// </summary>
/// <remarks>
/// Holds at most one state and one set of checkpoints of each person (<see cref="Holds"/>; a unit sends what it holds
/// before writing a person again, and before reading a person again, so the database sees it).
/// </remarks>
internal sealed class PostgresPersonWrites
{
    private readonly List<PersonState> _states = [];

    // Persons with rows stored: their replayed days' trips (from the day) and postings (from its start), and their
    // check-ins and participations from the replay's start, go first.
    private readonly List<(string Pid, string Day, long Ticks, long ReplayedFrom)> _replaced = [];
    private readonly List<(string Pid, int N, Trip Trip)> _trips = [];
    private readonly List<(string Pid, int N, Posting Posting)> _postings = [];
    private readonly List<WalletEntry> _entries = [];
    private readonly List<(string Pid, DayCheckpoint Checkpoint)> _checkpoints = [];

    // New check-ins and participations: rare (clinic and event taps), one statement each as they come.
    private readonly List<NpgsqlBatchCommand> _other = [];

    // New riders' transport sector IDs (IIngestWrite.IndexSector): one row per sector ID, the last pid given.
    private readonly Dictionary<string, string> _sectors = new(StringComparer.Ordinal);

    private readonly HashSet<string> _statesOf = new(StringComparer.Ordinal);
    private readonly HashSet<string> _checkpointsOf = new(StringComparer.Ordinal);

    /// <summary>Whether a state (or, with <paramref name="checkpoints"/>, checkpoints) of the person waits here.</summary>
    public bool Holds(string pid, bool checkpoints = false) => checkpoints ? _checkpointsOf.Contains(pid) : _statesOf.Contains(pid);

    /// <summary>
    /// The person's new state, the replayed days' trips and postings (replacing those from <paramref name="from"/> when
    /// <paramref name="stored"/>, and the check-ins and participations from <paramref name="replayedFrom"/>), and the new entries.
    /// </summary>
    public void Put(PersonState state, SettledDays replayed, DateOnly from, bool stored, long replayedFrom, IReadOnlyList<WalletEntry> entries)
    {
        _states.Add(state);
        _statesOf.Add(state.Pid);
        if (stored)
        {
            _replaced.Add((state.Pid, DayText(from), DayStartTicks(from), replayedFrom));
        }

        for (int i = 0; i < replayed.Trips.Count; i++)
        {
            _trips.Add((state.Pid, i + 1, replayed.Trips[i]));
        }

        for (int i = 0; i < replayed.Postings.Count; i++)
        {
            _postings.Add((state.Pid, i + 1, replayed.Postings[i]));
        }

        _entries.AddRange(entries);
    }

    public void PutCheckpoints(string pid, IReadOnlyList<DayCheckpoint> checkpoints)
    {
        _checkpoints.AddRange(checkpoints.Select(k => (pid, k)));
        _checkpointsOf.Add(pid);
    }

    public void Add(NpgsqlBatchCommand command) => _other.Add(command);

    public void IndexSector(string sectorId, string pid) => _sectors[sectorId] = pid;

    /// <summary>The statements, in an order that keeps each person's deletes before their inserts.</summary>
    public void AddTo(NpgsqlBatch batch)
    {
        if (_states.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand($"""
                INSERT INTO persons (pid, {PersonColumns})
                SELECT p, true, v, pt, pb, pv, ph, d, nc, r FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9) AS t(p, v, pt, pb, pv, ph, d, nc, r)
                ON CONFLICT (pid) DO UPDATE SET evaluated = true, value = excluded.value, points = excluded.points,
                    points_bus = excluded.points_bus, points_volunteer = excluded.points_volunteer, points_health = excluded.points_health,
                    in_debt = excluded.in_debt, next_close_at = excluded.next_close_at, revision = excluded.revision
                """,
                Array(_states.Select(s => s.Pid).ToArray(), NpgsqlDbType.Text),
                Array(_states.Select(s => s.Value).ToArray(), NpgsqlDbType.Bigint),
                Array(_states.Select(s => s.Points).ToArray(), NpgsqlDbType.Bigint),
                Array(_states.Select(s => s.PointsBus).ToArray(), NpgsqlDbType.Bigint),
                Array(_states.Select(s => s.PointsVolunteer).ToArray(), NpgsqlDbType.Bigint),
                Array(_states.Select(s => s.PointsHealth).ToArray(), NpgsqlDbType.Bigint),
                Array(_states.Select(s => s.InDebt).ToArray(), NpgsqlDbType.Boolean),
                NullableArray(_states.Select(s => s.NextCloseAt?.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                Array(_states.Select(s => s.Revision).ToArray(), NpgsqlDbType.Bigint)));
        }

        if (_replaced.Count > 0)
        {
            string[] pids = [.. _replaced.Select(r => r.Pid)];
            long[] replayedFrom = [.. _replaced.Select(r => r.ReplayedFrom)];
            batch.BatchCommands.Add(DeleteFrom("trips", "service_day", pids, Array(_replaced.Select(r => r.Day).ToArray(), NpgsqlDbType.Text)));
            batch.BatchCommands.Add(DeleteFrom("postings", "at", pids, Array(_replaced.Select(r => r.Ticks).ToArray(), NpgsqlDbType.Bigint)));
            // Before the unit's new check-ins and participations (_other). Every stored person's replay replaces them,
            // though few persons have any: one statement for all, not two per person.
            batch.BatchCommands.Add(DeleteFrom("checkins", "at", pids, Array(replayedFrom, NpgsqlDbType.Bigint)));
            batch.BatchCommands.Add(DeleteFrom("participations", "in_at", pids, Array(replayedFrom, NpgsqlDbType.Bigint)));
        }

        if (_trips.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO trips (pid, n, service_day, body) SELECT p, n, d, b FROM unnest($1, $2, $3, $4) AS t(p, n, d, b)",
                Array(_trips.Select(t => t.Pid).ToArray(), NpgsqlDbType.Text),
                Array(_trips.Select(t => t.N).ToArray(), NpgsqlDbType.Integer),
                Array(_trips.Select(t => t.Trip.ServiceDay).ToArray(), NpgsqlDbType.Text),
                JsonArray(_trips.Select(t => StoreJson.Trip(t.Trip)))));
        }

        if (_postings.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand($"""
                INSERT INTO postings (pid, n, {PostingColumns})
                SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                Array(_postings.Select(x => x.Pid).ToArray(), NpgsqlDbType.Text),
                Array(_postings.Select(x => x.N).ToArray(), NpgsqlDbType.Integer),
                Array(_postings.Select(x => x.Posting.Key).ToArray(), NpgsqlDbType.Text),
                Array(_postings.Select(x => x.Posting.Kind).ToArray(), NpgsqlDbType.Text),
                Array(_postings.Select(x => x.Posting.Value).ToArray(), NpgsqlDbType.Bigint),
                Array(_postings.Select(x => x.Posting.Points).ToArray(), NpgsqlDbType.Bigint),
                Array(_postings.Select(x => x.Posting.Source).ToArray(), NpgsqlDbType.Text),
                Array(_postings.Select(x => x.Posting.At.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                Array(_postings.Select(x => x.Posting.Description).ToArray(), NpgsqlDbType.Text)));
        }

        if (_entries.Count > 0)
        {
            // The identity follows the order given: a person's entries are read back in the order recorded.
            batch.BatchCommands.Add(BatchCommand($"""
                INSERT INTO entries (pid, {EntryColumns})
                SELECT p, k, kd, v, pt, s, a, r, d, adj FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) WITH ORDINALITY AS t(p, k, kd, v, pt, s, a, r, d, adj, o) ORDER BY o
                """,
                Array(_entries.Select(x => x.Pid).ToArray(), NpgsqlDbType.Text),
                Array(_entries.Select(x => x.Key).ToArray(), NpgsqlDbType.Text),
                Array(_entries.Select(x => x.Kind).ToArray(), NpgsqlDbType.Text),
                Array(_entries.Select(x => x.Value).ToArray(), NpgsqlDbType.Bigint),
                Array(_entries.Select(x => x.Points).ToArray(), NpgsqlDbType.Bigint),
                Array(_entries.Select(x => x.Source).ToArray(), NpgsqlDbType.Text),
                Array(_entries.Select(x => x.At.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                Array(_entries.Select(x => x.RecordedAt.UtcTicks).ToArray(), NpgsqlDbType.Bigint),
                Array(_entries.Select(x => x.Description).ToArray(), NpgsqlDbType.Text),
                Array(_entries.Select(x => x.Adjustment).ToArray(), NpgsqlDbType.Boolean)));
        }

        foreach (NpgsqlBatchCommand command in _other)
        {
            batch.BatchCommands.Add(command);
        }

        if (_sectors.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO sectors (sector_id, pid) SELECT * FROM unnest($1, $2) ON CONFLICT (sector_id) DO UPDATE SET pid = excluded.pid",
                Array(_sectors.Keys.ToArray(), NpgsqlDbType.Text), Array(_sectors.Values.ToArray(), NpgsqlDbType.Text)));
        }

        if (_checkpoints.Count > 0)
        {
            batch.BatchCommands.Add(BatchCommand("""
                INSERT INTO checkpoints (pid, day, can_resume, body)
                SELECT p, d, r, b FROM unnest($1, $2, $3, $4) AS t(p, d, r, b)
                ON CONFLICT (pid, day) DO UPDATE SET can_resume = excluded.can_resume, body = excluded.body
                """,
                Array(_checkpoints.Select(k => k.Pid).ToArray(), NpgsqlDbType.Text),
                Array(_checkpoints.Select(k => k.Checkpoint.Day).ToArray(), NpgsqlDbType.Date),
                Array(_checkpoints.Select(k => k.Checkpoint.CanResume).ToArray(), NpgsqlDbType.Boolean),
                JsonArray(_checkpoints.Select(k => StoreJson.Checkpoint(k.Checkpoint)))));
        }
    }

    /// <summary>
    /// Deletes each person's rows of <paramref name="table"/> whose <paramref name="column"/> is at or after the person's
    /// value in <paramref name="from"/>: each person's rows found as a range of an index led by <c>pid</c> (LATERAL), not
    /// by a join the planner may run as a scan of the whole table, which grows with the history.
    /// </summary>
    private static NpgsqlBatchCommand DeleteFrom(string table, string column, string[] pids, NpgsqlParameter from) =>
        BatchCommand(
            $"DELETE FROM {table} WHERE ctid = ANY (ARRAY(SELECT x.ctid FROM unnest($1::text[], $2) AS d(pid, v) CROSS JOIN LATERAL (SELECT r.ctid FROM {table} r WHERE r.pid = d.pid AND r.{column} >= d.v) x))",
            Array(pids, NpgsqlDbType.Text), from);
}
