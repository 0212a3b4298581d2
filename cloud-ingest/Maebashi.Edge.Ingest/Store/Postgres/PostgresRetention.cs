using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>The retention of raw taps in the PostgreSQL store (<see cref="TapRetention"/>, <see cref="IIngestStore.PurgeTaps"/>).</summary>
internal static class PostgresRetention
{
    /// <summary>
    /// One DELETE of at most <paramref name="max"/> taps dated before the start of <paramref name="before"/>, each but
    /// those of its person's latest service day (found on the index (pid, at)): one short transaction, so workers'
    /// units wait little. The taps are the de-duplication record too: a purged tap sent again would be taken as new,
    /// which a device never does (it holds days of taps, not years).
    /// </summary>
    /// <remarks>
    /// The old taps are found by a scan that stops at <paramref name="max"/> rows (schema 1 has no index on
    /// <c>at</c> alone; the day layout's indexes are by person and by vehicle). A service day starts at 03:00 JST,
    /// 18:00 UTC of the day before: in ticks, <c>((at − 18 h) / day) · day + 18 h</c>.
    /// </remarks>
    public static int PurgeTaps(NpgsqlConnection c, DateOnly before, int max)
    {
        using NpgsqlCommand cmd = Command(c, null, """
            DELETE FROM taps WHERE (device, seq) IN (
                SELECT t.device, t.seq FROM taps t
                WHERE t.at < $1
                  AND (t.pid IS NULL OR t.at < (
                      SELECT ((max(l.at) - $3) / $4) * $4 + $3 FROM taps l WHERE l.pid = t.pid))
                LIMIT $2)
            """,
            Long(WalletRules.DayStart(before).UtcTicks), Int(max), Long(TimeSpan.FromHours(18).Ticks), Long(TimeSpan.TicksPerDay));
        return cmd.ExecuteNonQuery();
    }
}
