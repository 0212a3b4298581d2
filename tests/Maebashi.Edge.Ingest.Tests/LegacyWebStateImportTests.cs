using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Maebashi.Edge.Ingest.Store;
using Page = Maebashi.Edge.Ingest.Tests.ConsoleClient.Page;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// A data directory of an ingest from before the web's state moved into the store: its citizens, notices and audit log
/// files are imported once at start, then kept renamed; a restart imports nothing twice (issue 14 item 2).
/// </summary>
[Trait("Category", "ScaleOut")]
public sealed class LegacyWebStateImportTests
{
    private const string Login = "old-taro";
    private const string Password = "harunano-kaze-2026";
    private const string Code = "7K3QD-M9XWA";

    private static readonly string Own = TestKit.Tok("04A1B2C3D4E5F6");
    private static readonly string Child = TestKit.Tok("DEADBEEF");

    /// <summary>The files as the older ingest wrote them into its data directory (DATA = the test's "store" directory).</summary>
    private static string OlderDataDirectory()
    {
        string data = TestKit.TempDir();
        string dir = Path.Combine(data, "store");
        Directory.CreateDirectory(dir);
        string codeHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(Code.Replace("-", "", StringComparison.Ordinal))));
        File.WriteAllText(Path.Combine(dir, "citizens.json"), $$"""
            {"accounts":[{"login":"{{Login}}","passwordHash":"{{TestPasswords.Hash(Password)}}","pid":"P0001","createdAt":"2026-11-01T00:00:00+00:00"}],
             "codes":[{"codeHash":"{{codeHash}}","token":"{{Child}}","expiresAt":"2099-01-01T00:00:00+00:00"},
                      {"codeHash":"00","token":"{{Own}}","expiresAt":"2020-01-01T00:00:00+00:00"}]}
            """);
        File.WriteAllText(Path.Combine(dir, "notices.json"), """
            [{"id":3,"kind":"Urgent","title":"インフルエンザ流行 / Flu outbreak","body":"手洗いを。","postedAt":"2026-11-01T00:00:00+00:00","until":null,"postedBy":"城 管理者","withdrawnAt":null}]
            """);
        File.WriteAllText(Path.Combine(dir, "audit.jsonl"),
            $"{{\"at\":\"2026-11-02T00:00:00+00:00\",\"operator\":\"交通 係\",\"scope\":\"transport\",\"method\":\"GET\",\"route\":\"/api/v1/cards/{{tok}}/wallet\",\"status\":200,\"subjects\":[\"{Own}\"]}}\n"
            + "{\"at\":\"2026-11-02T00:01:00+00:00\",\"operator\":\"城 管");
        return data;
    }

    [Fact]
    public async Task An_older_data_directorys_citizens_notices_and_audit_log_are_imported_once()
    {
        string data = OlderDataDirectory();
        await using (RunningIngest first = await RunningIngest.StartAsync(data: data))
        {
            using var citizen = new ConsoleClient(first);
            Assert.Equal(302, (await citizen.PostFormAsync("/my/signin", "/my/signin", [new("login", Login), new("password", Password)])).Status);
            Page my = await citizen.GetAsync("/my/");
            Assert.Contains("インフルエンザ流行 / Flu outbreak", my.Body, StringComparison.Ordinal);
            Assert.Contains("/api/v1/cards/{tok}/wallet", my.Body, StringComparison.Ordinal);

            // The pending code still works; the expired one was left behind.
            using var other = new ConsoleClient(first);
            Assert.Equal(302, (await other.PostFormAsync("/my/enroll", "/my/enroll", [new("code", Code), new("login", "old-hanako"), new("password", Password)])).Status);
            Assert.Null(first.Host.Pipeline.Store.Enrollment("00"));

            // The line a crash cut is left out; the files are kept, renamed.
            Assert.Single(await first.AuditLinesAsync(), l => l.Contains("2026-11-02", StringComparison.Ordinal));
            Assert.Equal(
                ["audit.jsonl.imported", "citizens.json.imported", "notices.json.imported"],
                Directory.EnumerateFiles(first.Host.DataDirectory, "*.imported").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.False(File.Exists(Path.Combine(first.Host.DataDirectory, "audit.jsonl")));
        }

        // A restart on the same directory imports nothing again.
        await using RunningIngest second = await RunningIngest.StartAsync(data: data);
        Assert.Single(await second.AuditLinesAsync(), l => l.Contains("2026-11-02", StringComparison.Ordinal));
        Assert.Single(second.Host.Pipeline.Store.Notices());
        Assert.Equal("P0002", second.Host.Pipeline.Store.Citizen("old-hanako")!.Pid);
    }

    [Fact]
    public async Task An_audit_log_import_cut_short_resumes_where_it_stopped_and_writes_no_record_twice()
    {
        string data = TestKit.TempDir();
        string dir = Path.Combine(data, "store");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "audit.jsonl");
        string[] lines = [.. Enumerable.Range(0, 2_500).Select(i =>
            $"{{\"at\":\"2026-11-02T00:00:00+00:00\",\"operator\":\"交通 係\",\"scope\":\"transport\",\"method\":\"GET\",\"route\":\"/old/{i}\",\"status\":200,\"subjects\":[]}}")];
        await File.WriteAllTextAsync(path, string.Join('\n', lines) + "\n");

        // An earlier start imported the first 1,000 lines in one unit, then stopped (the unit's meta says how far).
        string sha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path)));
        long offset = Encoding.UTF8.GetByteCount(string.Concat(lines.Take(1_000).Select(l => l + "\n")));
        using (var store = new LiteDbIngestStore(dir))
        {
            store.ImportWebState(
                new WebStateImport([.. Enumerable.Range(0, 1_000).Select(i => new AuditRecord(DateTimeOffset.Parse("2026-11-02T00:00:00+00:00", CultureInfo.InvariantCulture), "交通 係", "transport", "GET", $"/old/{i}", 200, []))], [], [], []),
                "legacy-import:audit.jsonl", null, $"{sha}:{offset.ToString(CultureInfo.InvariantCulture)}");
        }

        await using RunningIngest ingest = await RunningIngest.StartAsync(data: data);
        string[] imported = [.. (await ingest.AuditLinesAsync()).Where(l => l.Contains("\"/old/", StringComparison.Ordinal))];
        Assert.Equal(2_500, imported.Length);
        Assert.Equal(2_500, imported.Distinct(StringComparer.Ordinal).Count());
        Assert.True(File.Exists(path + ".imported"));
    }
}
