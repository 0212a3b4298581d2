using System.Data;
using System.Globalization;
using Npgsql;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>The shared state of the workers on one database (<see cref="ISharedState"/>; Schema/0002_shared_state.sql).</summary>
public sealed partial class PostgresIngestStore
{
    public DenyState DenyState()
    {
        // One snapshot: a unit committing a new version with its debtors and statuses is seen whole or not at all.
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction(IsolationLevel.RepeatableRead);
        string? version = Meta(c, tx, SharedStateKeys.DenyVersion);
        string? statuses = Meta(c, tx, SharedStateKeys.CardStatuses);
        using NpgsqlCommand cmd = Command(c, tx, "SELECT pid FROM persons WHERE in_debt AND evaluated ORDER BY pid");
        List<string> debtors = List(cmd, r => r.GetString(0));
        tx.Commit();
        return new DenyState(version is null ? 0 : long.Parse(version, CultureInfo.InvariantCulture), debtors, statuses);
    }

    public async Task<bool> PublishInOrderAsync(string topic, Func<VersionedPayload> build, Func<byte[], CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(publish);
        await using NpgsqlConnection c = await _source.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand("INSERT INTO retained_published (topic, version) VALUES ($1, 0) ON CONFLICT (topic) DO NOTHING", Text(topic)));
        // Held until the commit, after the broker took the message: another worker's publish of the topic waits here.
        batch.BatchCommands.Add(BatchCommand("SELECT version FROM retained_published WHERE topic = $1 FOR UPDATE", Text(topic)));
        long published = (long)(await batch.ExecuteScalarAsync(cancellationToken))!;
        VersionedPayload now = build();
        if (now.Version < published)
        {
            return false;
        }

        // The same version again is published too: a broker that lost its retained messages gets them back.
        await publish(now.Payload, cancellationToken);
        if (now.Version > published)
        {
            await using NpgsqlCommand record = Command(c, tx, "UPDATE retained_published SET version = $2 WHERE topic = $1", Text(topic), Long(now.Version));
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public IReadOnlyList<string> DataProtectionKeys()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT xml FROM data_protection_keys ORDER BY name");
        return List(cmd, r => r.GetString(0));
    }

    public void AddDataProtectionKey(string name, string xml)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "INSERT INTO data_protection_keys (name, xml) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", Text(name), Text(xml));
        cmd.ExecuteNonQuery();
    }
}

/// <summary>The deny version's lock inside a unit (<see cref="ISharedStateWrite"/>).</summary>
internal sealed partial class PostgresUnitOfWork
{
    public long LockDenyVersion()
    {
        // The row is made first, so that two workers' first versions lock one row instead of inserting two.
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand("INSERT INTO meta (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING", Text(SharedStateKeys.DenyVersion)));
        batch.BatchCommands.Add(BatchCommand("SELECT value FROM meta WHERE key = $1 FOR UPDATE", Text(SharedStateKeys.DenyVersion)));
        return long.Parse((string)batch.ExecuteScalar()!, CultureInfo.InvariantCulture);
    }
}
