using System.Globalization;
using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The reads both sides need: a unit of work inside its transaction (seeing its own writes), and the store's
/// queries outside any unit (seeing committed state only). Each is one round trip and reads by an index.
/// </summary>
internal static class PostgresQueries
{
    public static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }

    public static NpgsqlBatchCommand BatchCommand(string sql, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }

    /// <summary>
    /// The person's state (null: none written yet): balances, not history. <paramref name="forUpdate"/>: inserts the row
    /// when missing, then locks it for the rest of the transaction (another worker evaluating the person waits here),
    /// all in one round trip.
    /// </summary>
    public static PersonState? Person(NpgsqlConnection c, NpgsqlTransaction? tx, string pid, bool forUpdate)
    {
        using var batch = new NpgsqlBatch(c, tx);
        if (forUpdate)
        {
            batch.BatchCommands.Add(BatchCommand("INSERT INTO persons (pid) VALUES ($1) ON CONFLICT (pid) DO NOTHING", Text(pid)));
        }

        batch.BatchCommands.Add(BatchCommand($"SELECT {PersonColumns} FROM persons WHERE pid = $1" + (forUpdate ? " FOR UPDATE" : ""), Text(pid)));
        using NpgsqlDataReader r = batch.ExecuteReader();
        return r.Read() ? ReadPerson(r, 0, pid) : null;
    }

    /// <summary>A row of <see cref="PersonColumns"/> from <paramref name="column"/> on: null when the person was never evaluated.</summary>
    public static PersonState? ReadPerson(NpgsqlDataReader r, int column, string pid) =>
        !r.GetBoolean(column) ? null : new PersonState(
            pid, r.GetInt64(column + 1), r.GetInt64(column + 2), r.GetInt64(column + 3), r.GetInt64(column + 4), r.GetInt64(column + 5), r.GetBoolean(column + 6),
            r.IsDBNull(column + 7) ? null : At(r.GetInt64(column + 7)), r.GetInt64(column + 8));

    /// <summary>The person's trips and postings of the service days from <paramref name="from"/> on: ranges of (pid, service_day) and (pid, at).</summary>
    public static SettledDays SettledFrom(NpgsqlConnection c, NpgsqlTransaction? tx, string pid, DateOnly from)
    {
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand("SELECT body FROM trips WHERE pid = $1 AND service_day >= $2 ORDER BY service_day, n", Text(pid), Text(DayText(from))));
        batch.BatchCommands.Add(BatchCommand($"SELECT {PostingColumns} FROM postings WHERE pid = $1 AND at >= $2 ORDER BY at, n", Text(pid), Long(DayStartTicks(from))));
        using NpgsqlDataReader r = batch.ExecuteReader();
        var trips = new List<Trip>();
        while (r.Read())
        {
            trips.Add(ReadTrip(r, 0));
        }

        r.NextResult();
        var postings = new List<Posting>();
        while (r.Read())
        {
            postings.Add(ReadPosting(r));
        }

        return new SettledDays(trips, postings);
    }

    /// <summary>
    /// One page of trips: the newest days before the cursor that the page's first <paramref name="limit"/> trips fall
    /// on, whole, and whether an older trip follows — a backward range of (pid, service_day).
    /// </summary>
    public static TripPage TripsPage(NpgsqlConnection c, string pid, DateOnly? before, int limit)
    {
        using NpgsqlCommand cmd = Command(c, null, """
            WITH page AS (SELECT service_day FROM trips WHERE pid = $1 AND service_day < $2 ORDER BY service_day DESC, n DESC LIMIT $3)
            SELECT service_day, body FROM trips
            WHERE pid = $1 AND service_day < $2 AND service_day >= (SELECT min(service_day) FROM page)
            ORDER BY service_day DESC, n DESC
            """,
            Text(pid), Text(DayText(before ?? DateOnly.MaxValue)), Int(limit));
        var items = new List<Trip>();
        string? oldest = null;
        using (NpgsqlDataReader r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                oldest = r.GetString(0);
                items.Add(ReadTrip(r, 1));
            }
        }

        if (oldest is null)
        {
            return new TripPage(items, null);
        }

        using NpgsqlCommand more = Command(c, null, "SELECT EXISTS (SELECT 1 FROM trips WHERE pid = $1 AND service_day < $2)", Text(pid), Text(oldest));
        DateOnly oldestDay = DateOnly.ParseExact(oldest, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new TripPage(items, more.ExecuteScalar() is true ? oldestDay : null);
    }

    /// <summary>A service day as the trips' <c>service_day</c> column holds it (<see cref="Trip.ServiceDay"/>).</summary>
    public static string DayText(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The UTC ticks at which a service day starts (the first day: every posting).</summary>
    public static long DayStartTicks(DateOnly day) => day == DateOnly.MinValue ? long.MinValue : WalletRules.DayStart(day).UtcTicks;

    public static List<WalletEntry> EntriesOf(NpgsqlConnection c, string pid)
    {
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {EntryColumns} FROM entries WHERE pid = $1 ORDER BY recorded_at, id", Text(pid));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var list = new List<WalletEntry>();
        while (r.Read())
        {
            list.Add(ReadEntry(pid, r));
        }

        return list;
    }

    /// <summary>
    /// A page newest first, keyed by the entry's id (the cursor): the entries before the cursor's (recorded_at, id),
    /// one more than the page to tell whether another follows, and the person's count, in one round trip.
    /// </summary>
    public static WalletEntryPage EntriesPage(NpgsqlConnection c, string pid, long? before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var batch = new NpgsqlBatch(c);
        batch.BatchCommands.Add(BatchCommand($"""
            SELECT id, {EntryColumns} FROM entries
            WHERE pid = $1 AND ($2::bigint IS NULL OR (recorded_at, id) < (SELECT recorded_at, id FROM entries WHERE id = $2 AND pid = $1))
            ORDER BY recorded_at DESC, id DESC LIMIT $3
            """, Text(pid), Long(before), Int(limit + 1)));
        batch.BatchCommands.Add(BatchCommand("SELECT count(*) FROM entries WHERE pid = $1", Text(pid)));
        using NpgsqlDataReader r = batch.ExecuteReader();
        var items = new List<WalletEntry>(limit);
        long? next = null;
        long lastId = 0;
        while (r.Read())
        {
            if (items.Count == limit)
            {
                next = lastId;
                break;
            }

            lastId = r.GetInt64(0);
            items.Add(ReadEntry(pid, r, 1));
        }

        r.NextResult();
        r.Read();
        return new WalletEntryPage(items, next, r.GetInt64(0));
    }

    public static string? Meta(NpgsqlConnection c, NpgsqlTransaction? tx, string key)
    {
        using NpgsqlCommand cmd = Command(c, tx, "SELECT value FROM meta WHERE key = $1", Text(key));
        return cmd.ExecuteScalar() as string;
    }

    // A transaction-scoped lock on the key's name, not the row's: a key not stored yet has no row to lock, and two
    // workers would both insert it, one overwriting the other.
    public const string LockMetaKeySql = "SELECT pg_advisory_xact_lock(hashtextextended('maebashi.meta:' || $1, 0))";

    /// <summary>The meta value under <paramref name="key"/>, the key locked until the transaction ends (one round trip).</summary>
    public static string? MetaForUpdate(NpgsqlConnection c, NpgsqlTransaction tx, string key)
    {
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand(LockMetaKeySql, Text(key)));
        batch.BatchCommands.Add(BatchCommand("SELECT value FROM meta WHERE key = $1", Text(key)));
        using NpgsqlDataReader r = batch.ExecuteReader();
        r.NextResult();
        return r.Read() ? r.GetString(0) : null;
    }

    /// <param name="forUpdate">Lock the row until the transaction ends (a unit reads, then advances, the device's progress).</param>
    public static DeviceProgress? Device(NpgsqlConnection c, NpgsqlTransaction? tx, string device, bool forUpdate)
    {
        if (forUpdate)
        {
            LockDevice(c, tx, device);
        }

        using NpgsqlCommand cmd = Command(c, tx, $"SELECT {DeviceColumns} FROM devices WHERE device = $1" + (forUpdate ? " FOR UPDATE" : ""), Text(device));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? ReadDevice(r) : null;
    }

    /// <summary>
    /// FOR UPDATE locks no row the first time a device is heard of: two workers would both insert it and one count
    /// would overwrite the other. A transaction-scoped lock on the device's name serializes them (taken again: no wait).
    /// </summary>
    public static void LockDevice(NpgsqlConnection c, NpgsqlTransaction? tx, string device)
    {
        using NpgsqlCommand cmd = Command(c, tx, "SELECT pg_advisory_xact_lock(hashtextextended('maebashi.device:' || $1, 0))", Text(device));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Every row the command reads, mapped.</summary>
    public static List<T> List<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> read)
    {
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    }
}
