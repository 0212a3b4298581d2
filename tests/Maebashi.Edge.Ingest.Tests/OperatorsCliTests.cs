using System.Text.Json;
using Maebashi.Edge.Ingest.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary><c>operators add|passwd</c>: the password read from stdin, hashed into the operators file, never echoed.</summary>
[Trait("Category", "Web")]
public sealed class OperatorsCliTests
{
    private const string Secret = "kiyosato-harbour-7731";

    private static Task<ProcessResult> Operators(string? stdin, params string[] args) =>
        EdgeCli.RunAsync(new ProcessOptions { StandardInput = stdin ?? "" }, ["operators", .. args]);

    private static string HashOf(string file, string name) =>
        TestKit.ParseJson(File.ReadAllText(file)).EnumerateArray().Single(o => o.GetProperty("name").GetString() == name).GetProperty("passwordHash").GetString()!;

    [Fact]
    public async Task Add_and_passwd_write_a_pbkdf2_hash_of_the_password_read_from_stdin_and_never_show_it()
    {
        string dir = TestKit.TempDir();
        string file = Path.Combine(dir, "operators.json");
        await File.WriteAllTextAsync(file, $$"""[{"name": "api", "token": "{{RunningIngest.AdminToken}}", "scope": "admin"}]""");

        ProcessResult added = await Operators(Secret + "\n", "add", "--file", file, "--name", "受付 花子", "--scope", "clinic:C01");
        Assert.True(added.Exit == 0, added.Err);
        ProcessResult changed = await Operators("second-" + Secret + "\n", "passwd", "--file", file, "--name", "api");
        Assert.True(changed.Exit == 0, changed.Err);

        string text = await File.ReadAllTextAsync(file);
        foreach (string seen in new[] { added.Out, added.Err, changed.Out, changed.Err, text })
        {
            Assert.DoesNotContain(Secret, seen, StringComparison.Ordinal);
        }

        // The token of the entry changed is kept; the file stays its owner's only.
        Assert.Contains(RunningIngest.AdminToken, text, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        string hash = HashOf(file, "受付 花子");
        Assert.Matches(@"^\$pbkdf2-sha256\$i=600000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$", hash);
        Assert.True(PasswordHash.Verify(Secret, hash));
        Assert.False(PasswordHash.Verify(Secret + "x", hash));
        Assert.True(PasswordHash.Verify("second-" + Secret, HashOf(file, "api")));

        // The ingest loads the file as the CLI wrote it.
        await using IngestHost host = await IngestHost.StartAsync(
            new IngestOptions { RegistryPath = SharedFixtures.RegistryPath, DataDirectory = Path.Combine(dir, "store"), MqttPort = 0, HttpPort = 0, OperatorsPath = file },
            NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
    }

    [Fact]
    public void A_hash_made_at_another_cost_still_verifies()
    {
        string hash = TestPasswords.Hash(Secret);
        Assert.StartsWith($"$pbkdf2-sha256$i={TestPasswords.Iterations}$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHash.Verify(Secret, hash));
        Assert.False(PasswordHash.Verify("kiyosato-harbour-7732", hash));
    }

    [Fact]
    public async Task A_bad_file_scope_name_or_password_is_refused_naming_what_is_wrong()
    {
        string dir = TestKit.TempDir();
        string file = Path.Combine(dir, "operators.json");

        ProcessResult scope = await Operators(Secret, "add", "--file", file, "--name", "x", "--scope", "bus");
        Assert.Equal(2, scope.Exit);
        Assert.Contains("--scope: unknown scope 'bus'", scope.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(file));

        ProcessResult shortPassword = await Operators("short", "add", "--file", file, "--name", "x", "--scope", "transport");
        Assert.Equal(2, shortPassword.Exit);
        Assert.Contains("password: expected 10 to 1024 characters", shortPassword.Err, StringComparison.Ordinal);

        Assert.Equal(0, (await Operators(Secret, "add", "--file", file, "--name", "x", "--scope", "transport")).Exit);
        ProcessResult twice = await Operators(Secret, "add", "--file", file, "--name", "x", "--scope", "welfare");
        Assert.Equal(2, twice.Exit);
        Assert.Contains("an operator named 'x' is already there", twice.Err, StringComparison.Ordinal);

        // There is no way to give the password on the command line, where the process list shows it.
        ProcessResult onCommandLine = await Operators(null, "passwd", "--file", file, "--name", "x", "--password", "other-password-123");
        Assert.NotEqual(0, onCommandLine.Exit);
        Assert.True(PasswordHash.Verify(Secret, HashOf(file, "x")));

        ProcessResult unknown = await Operators(Secret, "passwd", "--file", file, "--name", "y");
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("no operator named 'y'", unknown.Err, StringComparison.Ordinal);

        await File.WriteAllTextAsync(file, "{\"name\": \"x\"}");
        ProcessResult bad = await Operators(Secret, "passwd", "--file", file, "--name", "x");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("not an array of", bad.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ingest_refuses_an_operators_file_with_a_bad_hash_or_neither_token_nor_hash()
    {
        string dir = TestKit.TempDir();
        string file = Path.Combine(dir, "operators.json");
        foreach ((string entry, string expected) in new[]
        {
            ("""{"name": "a", "scope": "admin"}""", "[0]: neither a token nor a passwordHash"),
            ("""{"name": "a", "scope": "admin", "passwordHash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}""", "[0].passwordHash: unsupported algorithm 'argon2id'"),
            ("""{"name": "a", "scope": "admin", "passwordHash": "$pbkdf2-sha256$i=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}""", "[0].passwordHash: expected i=N"),
        })
        {
            await File.WriteAllTextAsync(file, $"[{entry}]");
            OperatorsFileException e = await Assert.ThrowsAsync<OperatorsFileException>(() => IngestHost.StartAsync(
                new IngestOptions { RegistryPath = SharedFixtures.RegistryPath, DataDirectory = Path.Combine(dir, "store"), MqttPort = 0, HttpPort = 0, OperatorsPath = file },
                NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
    }
}
