using System.Data;
using Maebashi.Edge.Ingest.Rules;
using Npgsql;
using NpgsqlTypes;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The store on PostgreSQL (<c>ingest run --store postgresql://…</c>), which several ingest workers may share: nothing
/// is held in memory between units, and every rule of <see cref="IIngestStore"/> is kept by the database, never by
/// a lock in this process.
/// </summary>
/// <remarks>
/// Layout: Schema/*.sql (docs/ingest.md, "PostgreSQL store"), migrated on open (<see cref="PostgresSchema"/>). The
/// parts: <see cref="PostgresUnitOfWork"/> writes a unit, <see cref="PostgresQueries"/> holds the reads both sides
/// need, <see cref="PostgresMapping"/> maps rows to the model and back, <see cref="PostgresQuarantine"/> the
/// quarantine.
/// </remarks>
public sealed partial class PostgresIngestStore : IIngestStore
{
    private readonly NpgsqlDataSource _source;

    /// <summary>Opens the store and migrates its schema (<see cref="PostgresSchema.Migrate"/>).</summary>
    /// <exception cref="StoreSchemaException">The database holds a schema newer than this build knows.</exception>
    public PostgresIngestStore(NpgsqlConnectionStringBuilder connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var settings = new NpgsqlConnectionStringBuilder(connection.ConnectionString)
        {
            // Write returns only once its commit is on disk, whatever the server's or the role's default.
            Options = ((connection.Options ?? "") + " -c synchronous_commit=on").Trim(),

            // Each unit runs the same few statements: prepared once per connection, parsed once.
            MaxAutoPrepare = connection.MaxAutoPrepare > 0 ? connection.MaxAutoPrepare : 64,
        };
        _source = NpgsqlDataSource.Create(settings);
        try
        {
            SchemaMigrationsApplied = PostgresSchema.Migrate(_source);
        }
        catch
        {
            _source.Dispose();
            throw;
        }
    }

    /// <summary>How many schema migrations this open applied (0: the database was current).</summary>
    public int SchemaMigrationsApplied { get; }

    /// <summary>The registry kept in this database (imported from the city's export; what its workers run with).</summary>
    public PostgresRegistry Registry => new(_source);

    /// <remarks>
    /// One transaction on one pooled connection, read committed: after a unit waits on a person's row lock, its
    /// next statements see what the worker holding the lock committed (repeatable read would fail the unit
    /// instead). The commit returns once it is durable (synchronous_commit on).
    /// </remarks>
    public T Write<T>(Func<IIngestWrite, T> work) => WriteUnit(work);

    /// <summary>How often a unit PostgreSQL broke as a deadlock (two workers locking persons in another order) is run again.</summary>
    private const int DeadlockRetries = 5;

    private T WriteUnit<T>(Func<PostgresUnitOfWork, T> work)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using NpgsqlConnection c = _source.OpenConnection();
                using NpgsqlTransaction tx = c.BeginTransaction(IsolationLevel.ReadCommitted);
                // Every statement of a unit is meant to be a range of an index; on a table that grew since its last
                // ANALYZE the planner may still think a scan of it cheap, and a scan grows with the history.
                using (var noScan = new NpgsqlCommand("SET LOCAL enable_seqscan = off", c, tx))
                {
                    noScan.ExecuteNonQuery();
                }

                var unit = new PostgresUnitOfWork(c, tx);
                T result = work(unit);
                unit.Flush();
                tx.Commit();
                return result;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < DeadlockRetries)
            {
                // PostgreSQL rolled the unit back whole; its work only touched the unit (IIngestStore.Write), so running
                // it again is safe, and the other worker's unit has gone through meanwhile.
            }
        }
    }

    public PersonState? GetPerson(string pid)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return Person(c, null, pid, forUpdate: false);
    }

    public TripPage TripsPage(string pid, DateOnly? before, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresQueries.TripsPage(c, pid, before, limit);
    }

    public string? PidOfSector(string sectorId)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT pid FROM sectors WHERE sector_id = $1", Text(sectorId));
        return cmd.ExecuteScalar() as string;
    }

    public IReadOnlyList<WalletEntry> EntriesOf(string pid)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresQueries.EntriesOf(c, pid);
    }

    public WalletEntryPage EntriesPage(string pid, long? before, int limit)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresQueries.EntriesPage(c, pid, before, limit);
    }

    public IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {CheckInColumns} FROM checkins WHERE clinic = $1 AND day = $2 ORDER BY queue", Text(clinic), Date(date));
        return List(cmd, ReadCheckIn);
    }

    public IReadOnlyList<ParticipationRecord> Participations(string eventId)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {ParticipationColumns} FROM participations WHERE event = $1 ORDER BY in_at", Text(eventId));
        return List(cmd, ReadParticipation);
    }

    public IReadOnlyList<DeviceProgress> Devices()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {DeviceColumns} FROM devices ORDER BY device");
        return List(cmd, ReadDevice);
    }

    public QuarantinePage Quarantine(QuarantineQuery query)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresQuarantine.Page(c, query);
    }

    public byte[]? QuarantinePayload(long id)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresQuarantine.Payload(c, id);
    }

    public int PurgeQuarantine(DateTimeOffset olderThan, int max)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction();
        int purged = PostgresQuarantine.Purge(c, tx, olderThan, max);
        tx.Commit();
        return purged;
    }

    public IReadOnlyList<QuarantineUsage> QuarantineUsage()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresQuarantine.Usage(c);
    }

    public int PurgeTaps(DateOnly before, int max)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return PostgresRetention.PurgeTaps(c, before, max);
    }

    public IReadOnlyList<string> PersonsInDebt()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT pid FROM persons WHERE in_debt AND evaluated ORDER BY pid");
        return List(cmd, r => r.GetString(0));
    }

    /// <summary>Streamed from the trips of the day (index on service day): one day's trips, whatever the history's length.</summary>
    public IEnumerable<(string Pid, Trip Trip)> TripsOn(string serviceDay)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT pid, body FROM trips WHERE service_day = $1 ORDER BY pid, n", Text(serviceDay));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (r.GetString(0), ReadTrip(r, 1));
        }
    }

    /// <summary>Several workers write the same tables: no worker can tell when another changed a day.</summary>
    public long? TripsVersion(string serviceDay) => null;

    public IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT pid FROM persons WHERE next_close_at <= $1 AND evaluated ORDER BY pid", Long(now.UtcTicks));
        return List(cmd, r => r.GetString(0));
    }

    public string? GetMeta(string key)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return Meta(c, null, key);
    }

    public IReadOnlyDictionary<string, string> GetMetas(IReadOnlyCollection<string> keys)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT key, value FROM meta WHERE key = ANY($1)", Array(keys.ToArray(), NpgsqlDbType.Text));
        return List(cmd, r => (Key: r.GetString(0), Value: r.GetString(1))).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
    }

    public IReadOnlyList<RetainedRecord> RetainedMessages()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT topic, payload FROM retained ORDER BY topic");
        return List(cmd, r => new RetainedRecord(r.GetString(0), r.GetFieldValue<byte[]>(1)));
    }

    public void PutRetained(RetainedRecord message) => WriteUnit(u =>
    {
        u.PutRetained(message);
        return true;
    });

    /// <summary>PostgreSQL needs no snapshot to open quickly (nothing is loaded at start): returns how many persons it holds.</summary>
    public int WriteSnapshot()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT count(*) FROM persons WHERE evaluated");
        return (int)(long)cmd.ExecuteScalar()!;
    }

    public void Dispose() => _source.Dispose();
}
