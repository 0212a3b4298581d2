using Npgsql;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The bounded quarantine on PostgreSQL, as <see cref="IIngestStore"/>'s header states it in SQL: records, payloads
/// apart, and the total and per-device counters the limits are checked against, locked in one order (the total, then a
/// record or the device's usage) so that two workers, or a worker and the purge, never deadlock on them.
/// </summary>
internal static class PostgresQuarantine
{
    private const string Columns = "id, kind, device, topic, code, reason, seq, at, size, sha256, repeats, bytes";

    public static QuarantineOutcome Add(NpgsqlConnection c, NpgsqlTransaction tx, QuarantineEntry e, QuarantineLimits limits)
    {
        // The total's row first, even for a repeat: a purge takes it before the records it deletes, so a unit holding
        // a record's lock never waits for the total behind a purge that waits for that record.
        long totalBytes = Scalar(c, tx, "SELECT bytes FROM quarantine_total WHERE one FOR UPDATE");
        if (Repeat(c, tx, e))
        {
            return QuarantineOutcome.Repeated;
        }

        long bytes = e.Bytes;
        Execute(c, tx, "INSERT INTO quarantine_usage (device, records, bytes) VALUES ($1, 0, 0) ON CONFLICT (device) DO NOTHING", Text(e.Device));
        long deviceBytes = Scalar(c, tx, "SELECT bytes FROM quarantine_usage WHERE device = $1 FOR UPDATE", Text(e.Device));
        if (deviceBytes + bytes > limits.DeviceBytes || totalBytes + bytes > limits.TotalBytes)
        {
            Execute(c, tx, "INSERT INTO quarantine_dropped (device, code, count) VALUES ($1, $2, 1) ON CONFLICT (device, code) DO UPDATE SET count = quarantine_dropped.count + 1",
                Text(e.Device), Text(e.Code));
            return QuarantineOutcome.Dropped;
        }

        // Another worker may have added the same record since the check above: then it is a repeat, and no counter moves.
        using NpgsqlCommand insert = Command(c, tx,
            $"""
            INSERT INTO quarantine (kind, device, topic, code, reason, seq, at, size, sha256, repeats, bytes)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)
            ON CONFLICT (device, code, sha256, seq) DO UPDATE SET repeats = quarantine.repeats + 1
            RETURNING id, repeats
            """,
            Int((int)e.Kind), Text(e.Device), Text(e.Topic), Text(e.Code), Text(e.Reason), Long(e.Seq is { } s ? Seq(s) : null), Long(e.At.UtcTicks),
            Long(e.Size), Text(e.Sha256), Long(bytes));
        long id;
        long repeats;
        using (NpgsqlDataReader r = insert.ExecuteReader())
        {
            r.Read();
            (id, repeats) = (r.GetInt64(0), r.GetInt64(1));
        }

        if (repeats > 0)
        {
            return QuarantineOutcome.Repeated;
        }

        Execute(c, tx, "INSERT INTO quarantine_payload (id, payload) VALUES ($1, $2)", Long(id), Bytes(e.Kept));
        Execute(c, tx, "UPDATE quarantine_usage SET records = records + 1, bytes = bytes + $2 WHERE device = $1", Text(e.Device), Long(bytes));
        Execute(c, tx, "UPDATE quarantine_total SET records = records + 1, bytes = bytes + $1 WHERE one", Long(bytes));
        return QuarantineOutcome.Added;
    }

    /// <summary>One statement per filter shape, so that each is a backward range read of its own index.</summary>
    public static QuarantinePage Page(NpgsqlConnection c, QuarantineQuery q)
    {
        long before = q.Before ?? long.MaxValue;
        if (before <= 1 || q.Limit <= 0)
        {
            return new QuarantinePage([], null);
        }

        string where = (q.Device, q.Code) switch
        {
            (null, null) => "id < $1",
            (not null, null) => "device = $3 AND id < $1",
            (null, not null) => "code = $4 AND id < $1",
            _ => "device = $3 AND code = $4 AND id < $1",
        };
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {Columns} FROM quarantine WHERE {where} ORDER BY id DESC LIMIT $2",
            Long(before), Int(q.Limit + 1), Text(q.Device ?? ""), Text(q.Code ?? ""));
        List<QuarantineRecord> found = List(cmd, Read);
        return found.Count > q.Limit
            ? new QuarantinePage(found[..q.Limit], found[q.Limit - 1].Id)
            : new QuarantinePage(found, null);
    }

    public static byte[]? Payload(NpgsqlConnection c, long id)
    {
        using NpgsqlCommand cmd = Command(c, null, "SELECT payload FROM quarantine_payload WHERE id = $1", Long(id));
        return cmd.ExecuteScalar() as byte[];
    }

    /// <summary>The oldest records first quarantined before <paramref name="olderThan"/>, at most <paramref name="max"/>, and their share of the counters.</summary>
    public static int Purge(NpgsqlConnection c, NpgsqlTransaction tx, DateTimeOffset olderThan, int max)
    {
        // The total's lock first, as Add takes it: a purge and an add never wait on each other in a cycle.
        Scalar(c, tx, "SELECT bytes FROM quarantine_total WHERE one FOR UPDATE");
        using NpgsqlCommand purge = Command(c, tx,
            """
            WITH gone AS (
                DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE at < $1 ORDER BY at LIMIT $2)
                RETURNING device, bytes),
            per_device AS (
                UPDATE quarantine_usage u SET records = u.records - g.n, bytes = u.bytes - g.b
                FROM (SELECT device, count(*) AS n, sum(bytes) AS b FROM gone GROUP BY device) g
                WHERE u.device = g.device),
            total AS (
                UPDATE quarantine_total SET records = records - (SELECT count(*) FROM gone), bytes = bytes - (SELECT coalesce(sum(bytes), 0) FROM gone)
                WHERE one)
            SELECT count(*) FROM gone
            """,
            Long(olderThan.UtcTicks), Int(Math.Max(0, max)));
        return (int)(long)purge.ExecuteScalar()!;
    }

    public static IReadOnlyList<QuarantineUsage> Usage(NpgsqlConnection c)
    {
        var dropped = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        using (NpgsqlCommand drops = Command(c, null, "SELECT device, code, count FROM quarantine_dropped"))
        using (NpgsqlDataReader r = drops.ExecuteReader())
        {
            while (r.Read())
            {
                string device = r.GetString(0);
                if (!dropped.TryGetValue(device, out Dictionary<string, long>? byCode))
                {
                    dropped[device] = byCode = new Dictionary<string, long>(StringComparer.Ordinal);
                }

                byCode[r.GetString(1)] = r.GetInt64(2);
            }
        }

        using NpgsqlCommand usage = Command(c, null, "SELECT device, records, bytes FROM quarantine_usage");
        List<QuarantineUsage> held = List(usage, r => new QuarantineUsage(r.GetString(0), r.GetInt64(1), r.GetInt64(2),
            dropped.GetValueOrDefault(r.GetString(0)) ?? new Dictionary<string, long>(StringComparer.Ordinal)));
        // A device whose refusals were all dropped has a usage row too (Add inserts it before the check).
        return held;
    }

    private static bool Repeat(NpgsqlConnection c, NpgsqlTransaction tx, QuarantineEntry e)
    {
        using NpgsqlCommand cmd = Command(c, tx,
            "UPDATE quarantine SET repeats = repeats + 1 WHERE device = $1 AND code = $2 AND sha256 = $3 AND seq IS NOT DISTINCT FROM $4",
            Text(e.Device), Text(e.Code), Text(e.Sha256), Long(e.Seq is { } s ? Seq(s) : null));
        return cmd.ExecuteNonQuery() == 1;
    }

    private static long Scalar(NpgsqlConnection c, NpgsqlTransaction tx, string sql, params NpgsqlParameter[] parameters)
    {
        using NpgsqlCommand cmd = Command(c, tx, sql, parameters);
        return (long)cmd.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection c, NpgsqlTransaction tx, string sql, params NpgsqlParameter[] parameters)
    {
        using NpgsqlCommand cmd = Command(c, tx, sql, parameters);
        cmd.ExecuteNonQuery();
    }

    private static QuarantineRecord Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), (QuarantineKind)r.GetInt16(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        r.IsDBNull(6) ? null : Seq(r.GetInt64(6)), At(r.GetInt64(7)), r.GetInt64(8), r.GetString(9), r.GetInt64(10), r.GetInt64(11));
}
