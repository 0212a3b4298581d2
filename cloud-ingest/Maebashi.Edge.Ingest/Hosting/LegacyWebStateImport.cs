using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Web.MyPage;
using Maebashi.Edge.Ingest.Web.Notices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>
/// Brings the web's state that an older ingest kept in files of its data directory into the store, once, at start
/// (docs/ingest.md, "The web's state"): <c>citizens.json</c> (accounts and pending codes), <c>notices.json</c> and
/// <c>audit.jsonl</c>. Each file is imported in units that also record, in the store's meta, the file's SHA-256 and how
/// far it got, so that an import cut short resumes where it stopped and never writes a record twice; a file done is
/// renamed <c>NAME.imported</c> (kept for the record; it may be deleted once backed up). Codes already expired are
/// not imported.
/// </summary>
internal sealed class LegacyWebStateImport(IIngestStore store, IngestDataDirectory data, TimeProvider time, ILogger<LegacyWebStateImport> logger) : IHostedService
{
    public const string AuditFileName = "audit.jsonl";

    public const string ImportedSuffix = ".imported";

    /// <summary>Audit lines per unit: a long log goes in steps of bounded size.</summary>
    public const int AuditLinesPerUnit = 1_000;

    private const string MetaPrefix = "legacy-import:";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ImportCitizens(Path.Combine(data.Path, CitizenAccounts.FileName));
        ImportNotices(Path.Combine(data.Path, CityNotices.FileName));
        ImportAudit(Path.Combine(data.Path, AuditFileName));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void ImportCitizens(string path) => ImportWhole(path, bytes =>
    {
        CitizensFile file = JsonSerializer.Deserialize<CitizensFile>(bytes, Json) ?? new CitizensFile();
        DateTimeOffset now = time.GetUtcNow();
        return new WebStateImport([], file.Accounts, [.. file.Codes.Where(c => c.ExpiresAt > now)], []);
    });

    private void ImportNotices(string path) => ImportWhole(path, bytes =>
        new WebStateImport([], [], [], JsonSerializer.Deserialize<List<CityNotice>>(bytes, Json) ?? []));

    private void ImportWhole(string path, Func<byte[], WebStateImport> read)
    {
        if (!File.Exists(path))
        {
            return;
        }

        byte[] bytes = File.ReadAllBytes(path);
        string key = MetaPrefix + Path.GetFileName(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (store.GetMeta(key) is var done && done != sha)
        {
            WebStateImport import = read(bytes);
            if (!store.ImportWebState(import, key, done, sha))
            {
                AnotherWorkerImports(path);
                return;
            }

            logger.LogInformation("Imported {File} into the store: {Accounts} account(s), {Codes} code(s), {Notices} notice(s)",
                Path.GetFileName(path), import.Citizens.Count, import.Enrollments.Count, import.Notices.Count);
        }

        File.Move(path, path + ImportedSuffix, overwrite: true);
    }

    // Another worker on the same data directory imported a step of the file between this worker's read of the store
    // and its unit: that worker goes on with the file and renames it.
    private void AnotherWorkerImports(string path) =>
        logger.LogInformation("{File} is being imported by another worker on this data directory; left to it", Path.GetFileName(path));

    private void ImportAudit(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        string key = MetaPrefix + AuditFileName;
        string sha;
        using (FileStream whole = File.OpenRead(path))
        {
            sha = Convert.ToHexStringLower(SHA256.HashData(whole));
        }

        // Meta holds "sha:offset": how far this very file was imported (another file under the name starts at 0).
        string? done = store.GetMeta(key);
        long offset = done is not null && done.StartsWith(sha + ":", StringComparison.Ordinal)
            ? long.Parse(done.AsSpan(sha.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture)
            : 0;
        int imported = 0, unreadable = 0;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            stream.Position = offset;
            var batch = new List<AuditRecord>(AuditLinesPerUnit);
            while (ReadLine(stream) is { } line)
            {
                if (line.Length > 0)
                {
                    if (Parse(line) is { } record)
                    {
                        batch.Add(record);
                    }
                    else
                    {
                        unreadable++;
                    }
                }

                if (batch.Count == AuditLinesPerUnit && !ImportStep())
                {
                    AnotherWorkerImports(path);
                    return;
                }
            }

            if (!ImportStep())
            {
                AnotherWorkerImports(path);
                return;
            }

            // One unit: the lines read so far and how far they go, from where the previous step left the key.
            bool ImportStep()
            {
                string next = $"{sha}:{stream.Position.ToString(CultureInfo.InvariantCulture)}";
                if (!store.ImportWebState(new WebStateImport(batch, [], [], []), key, done, next))
                {
                    return false;
                }

                done = next;
                imported += batch.Count;
                batch.Clear();
                return true;
            }
        }

        File.Move(path, path + ImportedSuffix, overwrite: true);
        logger.LogInformation("Imported {File} into the store: {Records} record(s); {Unreadable} line(s) unreadable (cut by a crash) left out",
            AuditFileName, imported, unreadable);
    }

    /// <summary>The next line's bytes (without its newline), or null at the end; the stream stops just past the newline.</summary>
    private static byte[]? ReadLine(Stream stream)
    {
        var line = new List<byte>(256);
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b == '\n')
            {
                return [.. line];
            }

            line.Add((byte)b);
        }

        return line.Count > 0 ? [.. line] : null;
    }

    private static AuditRecord? Parse(byte[] line)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement e = doc.RootElement;
            return new AuditRecord(
                e.GetProperty("at").GetDateTimeOffset(),
                e.GetProperty("operator").GetString() ?? "",
                e.GetProperty("scope").GetString() ?? "",
                e.GetProperty("method").GetString() ?? "",
                e.GetProperty("route").GetString() ?? "",
                e.GetProperty("status").GetInt32(),
                [.. e.GetProperty("subjects").EnumerateArray().Select(s => s.GetString() ?? "")]);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The shape <c>citizens.json</c> had.</summary>
    private sealed class CitizensFile
    {
        public List<CitizenAccount> Accounts { get; set; } = [];

        public List<PendingEnrollment> Codes { get; set; } = [];
    }
}
