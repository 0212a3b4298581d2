using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Store.Postgres;
using Npgsql;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// The store <c>--store</c> names: <c>litedb</c> (the default: one file under the data directory, one ingest process)
/// or a PostgreSQL database by its libpq URI (several workers may share it), with the password from the URI,
/// <c>--store-pass-file</c> or <c>PGPASSFILE</c>.
/// </summary>
public static class IngestStoreOption
{
    public const string LiteDb = "litedb";

    /// <summary>Whether the options name the embedded LiteDB store (else a PostgreSQL URI, checked when opened).</summary>
    public static bool IsLiteDb(IngestOptions options) => string.Equals(options.Store, LiteDb, StringComparison.Ordinal);

    /// <summary>
    /// The PostgreSQL settings the options give, or null for LiteDB; <see cref="StoreOptionException"/> naming the
    /// option otherwise. <paramref name="pgPassFile"/>: the <c>PGPASSFILE</c> environment variable.
    /// </summary>
    public static NpgsqlConnectionStringBuilder? PostgresSettings(IngestOptions options, string? pgPassFile)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (IsLiteDb(options))
        {
            return options.StorePassFile is null ? null : throw new StoreOptionException("--store-pass-file", "only with a postgresql:// store");
        }

        if (!PostgresConnectionUri.IsUri(options.Store))
        {
            throw new StoreOptionException("--store", $"expected {LiteDb} or postgresql://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…], got '{PostgresConnectionUri.Redact(options.Store)}'");
        }

        NpgsqlConnectionStringBuilder settings = PostgresConnectionUri.Parse(options.Store);
        PostgresPassword.Apply(settings, options.StorePassFile, pgPassFile);
        return settings;
    }

    /// <summary>What the logs may say of the store: its URI without the password.</summary>
    public static string Describe(IngestOptions options) => PostgresConnectionUri.Redact(options.Store);

    /// <summary>Opens the store the options name (a PostgreSQL one is migrated first, <see cref="PostgresSchema"/>).</summary>
    public static IIngestStore Open(IngestOptions options, string dataDirectory, string? pgPassFile)
    {
        // Whichever store: with PostgreSQL the audit log, accounts and notices still live in the data directory.
        Directory.CreateDirectory(dataDirectory);
        if (PostgresSettings(options, pgPassFile) is { } postgres)
        {
            return new PostgresIngestStore(postgres);
        }

        return new LiteDbIngestStore(dataDirectory);
    }
}
