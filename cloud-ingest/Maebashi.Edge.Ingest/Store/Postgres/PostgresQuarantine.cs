using Npgsql;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The quarantine as <see cref="IIngestStore"/> has it today, kept simple and apart: its interface is being
/// redesigned (bounded per device, paged by <c>before</c>, payload fetched on its own; issue 14 item 5).
/// </summary>
internal static class PostgresQuarantine
{
    private const string Columns = "id, scope, device, topic, code, reason, seq, at, payload";

    public static bool Add(NpgsqlConnection c, NpgsqlTransaction tx, QuarantineRecord q)
    {
        using NpgsqlCommand cmd = Command(c, tx,
            $"INSERT INTO quarantine ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            Text(q.Id), Text(q.Scope), Text(q.Device), Text(q.Topic), Text(q.Code), Text(q.Reason), Long(q.Seq is { } s ? Seq(s) : null), Long(q.At.UtcTicks), Bytes(q.Payload));
        return cmd.ExecuteNonQuery() == 1;
    }

    public static List<QuarantineRecord> Latest(NpgsqlConnection c, int limit)
    {
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {Columns} FROM quarantine ORDER BY at DESC LIMIT $1", Int(Math.Max(0, limit)));
        return List(cmd, Read);
    }

    public static long Count(NpgsqlConnection c)
    {
        using NpgsqlCommand cmd = Command(c, null, "SELECT count(*) FROM quarantine");
        return (long)cmd.ExecuteScalar()!;
    }

    public static QuarantinePage Page(NpgsqlConnection c, QuarantineFilter filter, int skip, int take)
    {
        const string where = "WHERE ($1::text IS NULL OR device = $1) AND ($2::text IS NULL OR code = $2)";
        using NpgsqlCommand count = Command(c, null, $"SELECT count(*) FROM quarantine {where}", Text(filter.Device), Text(filter.Code));
        long total = (long)count.ExecuteScalar()!;
        if (take <= 0)
        {
            return new QuarantinePage([], total);
        }

        using NpgsqlCommand page = Command(c, null, $"SELECT {Columns} FROM quarantine {where} ORDER BY at DESC OFFSET $3 LIMIT $4",
            Text(filter.Device), Text(filter.Code), Int(Math.Max(0, skip)), Int(take));
        return new QuarantinePage(List(page, Read), total);
    }

    public static QuarantineRecord? Find(NpgsqlConnection c, string id)
    {
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {Columns} FROM quarantine WHERE id = $1", Text(id));
        return List(cmd, Read) is [var q] ? q : null;
    }

    private static QuarantineRecord Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        r.IsDBNull(6) ? null : Seq(r.GetInt64(6)), At(r.GetInt64(7)), r.GetFieldValue<byte[]>(8));
}
