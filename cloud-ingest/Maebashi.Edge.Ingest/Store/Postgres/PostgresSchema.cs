using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The PostgreSQL store's schema, versioned in the repository: ordered SQL files (<c>Schema/NNNN_name.sql</c>,
/// embedded in this assembly), each applied once, recorded in <c>schema_version</c>. <see cref="Migrate"/> runs in
/// one transaction that first takes a transaction-scoped advisory lock, so workers starting together migrate once:
/// the first applies what is missing, the others wait on the lock and then find nothing left to do. A failed
/// migration rolls back whole. See docs/decisions.md, "PostgreSQL schema migrations".
/// </summary>
public static class PostgresSchema
{
    /// <summary>The advisory lock every worker's migration takes ("Maebashi" in ASCII): one key for the whole database.</summary>
    public const long MigrationLock = 0x4D61656261736869;

    private const string ResourcePrefix = "Maebashi.Edge.Ingest.Store.Postgres.Schema.";

    /// <summary>The migrations this build knows, in version order.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } = Load();

    /// <summary>The newest schema version this build knows.</summary>
    public static int KnownVersion => Migrations[^1].Version;

    /// <summary>
    /// Brings the database to <see cref="KnownVersion"/>; returns how many migrations this call applied (0 when
    /// another worker, or an earlier start, already did). Throws <see cref="StoreSchemaException"/> when the
    /// database holds a newer schema than this build knows: a newer ingest migrated it, and this one would
    /// misread it.
    /// </summary>
    public static int Migrate(NpgsqlDataSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using NpgsqlConnection c = source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction();
        Execute(c, tx, $"SELECT pg_advisory_xact_lock({MigrationLock.ToString(CultureInfo.InvariantCulture)})");
        Execute(c, tx, """
            CREATE TABLE IF NOT EXISTS schema_version (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """);
        int current = CurrentVersion(c, tx);
        if (current > KnownVersion)
        {
            throw new StoreSchemaException(
                $"--store: the database's schema is version {current}, newer than version {KnownVersion} that this ingest knows; run an ingest at least as new as the one that migrated it");
        }

        int applied = 0;
        foreach (SchemaMigration m in Migrations.Where(m => m.Version > current))
        {
            Execute(c, tx, m.Sql);
            using var record = new NpgsqlCommand("INSERT INTO schema_version (version, name) VALUES ($1, $2)", c, tx);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = m.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Name });
            record.ExecuteNonQuery();
            applied++;
        }

        tx.Commit();
        return applied;
    }

    /// <summary>The highest version recorded in <c>schema_version</c> (0: none).</summary>
    public static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        using var cmd = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection, transaction);
        return (int)cmd.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }

    // Names are NNNN_what.sql: the number is the version; gaps or repeats are a build mistake, caught here.
    private static List<SchemaMigration> Load()
    {
        Assembly assembly = typeof(PostgresSchema).Assembly;
        var migrations = new List<SchemaMigration>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            string file = resource[ResourcePrefix.Length..^".sql".Length];
            int underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out int version))
            {
                throw new InvalidOperationException($"schema file {file}.sql: expected NNNN_name.sql");
            }

            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new SchemaMigration(version, file[(underscore + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"schema files: expected version {i + 1}, found {migrations[i].Version}");
            }
        }

        return migrations.Count > 0 ? migrations : throw new InvalidOperationException("schema files: none embedded");
    }
}

/// <summary>One schema change: applied once, in version order.</summary>
public sealed record SchemaMigration(int Version, string Name, string Sql);

/// <summary>The database's schema cannot be used by this ingest (the message names both versions).</summary>
public sealed class StoreSchemaException(string message) : Exception(message);
