using System.Buffers.Text;
using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Registry;
using Npgsql;
using NpgsqlTypes;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// What an import did: whether it replaced the stored registry, and what the store now holds. <paramref name="ReplacedAt"/>
/// is set when the file was not imported because a later import replaced it then (a worker started with an old export).
/// </summary>
public sealed record RegistryImport(bool Applied, string Sha256, int Persons, int Cards, DateTimeOffset? ReplacedAt = null);

/// <summary>
/// The registry kept in PostgreSQL (schema 6): imported from the city's export once, read by every worker at start into
/// <see cref="PackedRegistryPeople"/> (docs/ingest.md, "The registry in PostgreSQL"). A worker never holds the export's
/// objects for a prefecture's persons and cards, and workers starting together agree on one registry.
/// </summary>
public sealed class PostgresRegistry(NpgsqlDataSource source)
{
    /// <summary>The advisory lock an import takes ("Registry" in ASCII): two imports, or two workers starting with a new file, import once.</summary>
    public const long ImportLock = 0x5265676973747279;

    /// <summary>
    /// Imports the registry file unless the store already holds this file (same SHA-256): checked, with its cards as
    /// tokens, replacing the stored persons and cards in one transaction. Throws <see cref="RegistryException"/>
    /// listing every problem of a bad file, and then the stored registry stays as it was.
    /// </summary>
    /// <param name="replacedToo">
    /// Import the file even when a later import replaced it (an operator's deliberate rollback, `ingest registry
    /// import`). Without it (a worker's start), such a file is not imported: the stored registry is newer, and the
    /// result says when the file was replaced.
    /// </param>
    public RegistryImport Import(string path, bool replacedToo = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        string sha256 = FileSha256(path);
        using NpgsqlConnection c = source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction(IsolationLevel.ReadCommitted);
        Execute(c, tx, $"SELECT pg_advisory_xact_lock({ImportLock.ToString(CultureInfo.InvariantCulture)})");
        RegistryImport? stored = Stored(c, tx);
        if (stored?.Sha256 == sha256)
        {
            return stored;
        }

        if (stored is not null && !replacedToo && ReplacedAt(c, tx, sha256) is { } replacedAt)
        {
            return stored with { ReplacedAt = replacedAt };
        }

        CityRegistry registry = RegistryLoader.Load(path);
        Execute(c, tx, "TRUNCATE registry_cards, registry_persons");
        var numbers = new Dictionary<string, int>(registry.PersonCount, StringComparer.Ordinal);
        using (NpgsqlBinaryImporter persons = c.BeginBinaryImport(
            "COPY registry_persons (n, pid, birth_date, disability, auto_point_pay, opening_value, opening_points) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (PersonEntry p in registry.Persons)
            {
                int n = numbers.Count;
                numbers[p.Pid] = n;
                persons.StartRow();
                persons.Write(n, NpgsqlDbType.Integer);
                persons.Write(p.Pid, NpgsqlDbType.Text);
                persons.Write(p.BirthDate, NpgsqlDbType.Date);
                persons.Write(p.HasDisability, NpgsqlDbType.Boolean);
                persons.Write(p.Def.AutoPointPay, NpgsqlDbType.Boolean);
                persons.Write(p.Def.OpeningValue, NpgsqlDbType.Bigint);
                persons.Write(p.Def.OpeningPoints, NpgsqlDbType.Bigint);
            }

            persons.Complete();
        }

        using (NpgsqlBinaryImporter cards = c.BeginBinaryImport(
            "COPY registry_cards (token, person, tech, lost, authenticated, key_version) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (CardEntry card in registry.Cards)
            {
                cards.StartRow();
                cards.Write(Base64Url.DecodeFromChars(card.Token), NpgsqlDbType.Bytea);
                cards.Write(numbers[card.Pid], NpgsqlDbType.Integer);
                cards.Write(card.Tech.ToWire(), NpgsqlDbType.Text);
                cards.Write(card.Lost, NpgsqlDbType.Boolean);
                cards.Write(card.Authenticated, NpgsqlDbType.Boolean);
                cards.Write(card.KeyVersion, NpgsqlDbType.Integer);
            }

            cards.Complete();
        }

        // The rest of the export, as checked: its persons live in the table above and its cards (UIDs) were dropped at load.
        RegistryDocument rest = registry.Document;
        rest.Persons = null;
        rest.Cards = null;
        using (var upsert = new NpgsqlCommand("""
            INSERT INTO registry_import (id, sha256, document, persons, cards) VALUES (1, $1, $2, $3, $4)
            ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, document = excluded.document,
                persons = excluded.persons, cards = excluded.cards, imported_at = now()
            """, c, tx))
        {
            upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
            upsert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = JsonSerializer.SerializeToUtf8Bytes(rest, ContractJsonContext.Default.RegistryDocument) });
            upsert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = registry.PersonCount });
            upsert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = registry.CardCount });
            upsert.ExecuteNonQuery();
        }

        // The export it replaced is remembered (a worker started with it later keeps this one); this one is current again.
        if (stored is not null)
        {
            using var replaced = new NpgsqlCommand(
                "INSERT INTO registry_replaced (sha256, replaced_at) VALUES ($1, now()) ON CONFLICT (sha256) DO UPDATE SET replaced_at = excluded.replaced_at", c, tx);
            replaced.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stored.Sha256 });
            replaced.ExecuteNonQuery();
        }

        using (var current = new NpgsqlCommand("DELETE FROM registry_replaced WHERE sha256 = $1", c, tx))
        {
            current.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
            current.ExecuteNonQuery();
        }

        // The next worker reads the persons in key order: an index scan, not a guess from stale statistics.
        Execute(c, tx, "ANALYZE registry_persons");
        tx.Commit();
        return new RegistryImport(true, sha256, registry.PersonCount, registry.CardCount);
    }

    private static DateTimeOffset? ReplacedAt(NpgsqlConnection c, NpgsqlTransaction tx, string sha256)
    {
        using var cmd = new NpgsqlCommand("SELECT replaced_at FROM registry_replaced WHERE sha256 = $1", c, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
        return cmd.ExecuteScalar() is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    /// <summary>What the store holds, or null when no registry was imported.</summary>
    public RegistryImport? Stored()
    {
        using NpgsqlConnection c = source.OpenConnection();
        return Stored(c, null);
    }

    /// <summary>
    /// The stored registry, its persons and cards packed (one consistent snapshot of the three tables). Throws
    /// <see cref="StoreRegistryException"/> when none was imported.
    /// </summary>
    public CityRegistry Load()
    {
        using NpgsqlConnection c = source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction(IsolationLevel.RepeatableRead);
        RegistryDocument? rest = null;
        int personCount = 0;
        int cardCount = 0;
        using (var cmd = new NpgsqlCommand("SELECT document, persons, cards FROM registry_import WHERE id = 1", c, tx))
        using (NpgsqlDataReader r = cmd.ExecuteReader())
        {
            if (r.Read())
            {
                rest = JsonSerializer.Deserialize(r.GetFieldValue<byte[]>(0), ContractJsonContext.Default.RegistryDocument);
                personCount = r.GetInt32(1);
                cardCount = r.GetInt32(2);
            }
        }

        if (rest is null)
        {
            throw new StoreRegistryException(
                "--store: the database holds no registry; import the city's export with `ingest registry import --store … --registry FILE`, or start a worker with --registry FILE");
        }

        var people = new PackedRegistryPeople.Builder(personCount, cardCount);
        using (NpgsqlBinaryExporter persons = c.BeginBinaryExport(
            "COPY (SELECT n, pid, birth_date, disability, auto_point_pay, opening_value, opening_points FROM registry_persons ORDER BY n) TO STDOUT (FORMAT BINARY)"))
        {
            while (persons.StartRow() != -1)
            {
                int n = persons.Read<int>(NpgsqlDbType.Integer);
                int added = people.AddPerson(persons.Read<string>(NpgsqlDbType.Text), persons.Read<DateOnly>(NpgsqlDbType.Date), persons.Read<bool>(NpgsqlDbType.Boolean),
                    persons.Read<bool>(NpgsqlDbType.Boolean), persons.Read<long>(NpgsqlDbType.Bigint), persons.Read<long>(NpgsqlDbType.Bigint));
                if (added != n)
                {
                    throw new StoreRegistryException($"--store: the stored registry's persons are not numbered 0 to {personCount - 1} (person {n} at {added}); import it again");
                }
            }
        }

        using (NpgsqlBinaryExporter cards = c.BeginBinaryExport(
            "COPY registry_cards (token, person, tech, lost, authenticated, key_version) TO STDOUT (FORMAT BINARY)"))
        {
            while (cards.StartRow() != -1)
            {
                byte[] token = cards.Read<byte[]>(NpgsqlDbType.Bytea);
                int person = cards.Read<int>(NpgsqlDbType.Integer);
                string wireTech = cards.Read<string>(NpgsqlDbType.Text);
                if (!CardTechs.TryParse(wireTech, out CardTech tech))
                {
                    throw new StoreRegistryException($"--store: the stored registry has a card of unknown tech '{wireTech}'; import it again");
                }

                people.AddCard(token, person, tech, cards.Read<bool>(NpgsqlDbType.Boolean), cards.Read<bool>(NpgsqlDbType.Boolean), cards.Read<int>(NpgsqlDbType.Integer));
            }
        }

        tx.Commit();
        return CityRegistry.WithPeople(rest, people.Build());
    }

    /// <summary>The SHA-256 of a registry file, in lower-case hex (what the store compares to say the file was imported).</summary>
    public static string FileSha256(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException(path, [new RegistryProblem("$", "$", $"cannot read the file: {e.Message}")]);
        }
    }

    private static RegistryImport? Stored(NpgsqlConnection c, NpgsqlTransaction? tx)
    {
        using var cmd = new NpgsqlCommand("SELECT sha256, persons, cards FROM registry_import WHERE id = 1", c, tx);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? new RegistryImport(false, r.GetString(0), r.GetInt32(1), r.GetInt32(2)) : null;
    }

    private static void Execute(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }
}

/// <summary>The store's registry cannot be used (none imported, or damaged): the message says what to do.</summary>
public sealed class StoreRegistryException(string message) : Exception(message);
