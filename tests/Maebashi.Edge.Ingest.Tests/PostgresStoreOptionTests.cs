using Maebashi.Edge.Ingest.Hosting;
using Maebashi.Edge.Ingest.Store.Postgres;
using Maebashi.Edge.TestSupport;
using Npgsql;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// <c>--store postgresql://…</c> as Npgsql's settings, and where the password may come from (issue 14 item 1): no
/// server needed.
/// </summary>
[Trait("Category", "ScaleOut")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PostgresStoreOptionTests
{
    [Fact]
    public void A_full_uri_becomes_the_settings_it_names()
    {
        NpgsqlConnectionStringBuilder b = PostgresConnectionUri.Parse(
            "postgresql://ingest:s3cr%40t%3A1@db.city.example:6543/maebashi%5Fedge?sslmode=verify-full&connect_timeout=7"
            + "&application_name=ingest%20west&target_session_attrs=read-write&sslrootcert=%2Fetc%2Fca.pem&keepalives_idle=30");

        Assert.Equal("ingest", b.Username);
        Assert.Equal("s3cr@t:1", b.Password);
        Assert.Equal("db.city.example", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("maebashi_edge", b.Database);
        Assert.Equal(SslMode.VerifyFull, b.SslMode);
        Assert.Equal(7, b.Timeout);
        Assert.Equal("ingest west", b.ApplicationName);
        Assert.Equal("read-write", b.TargetSessionAttributes);
        Assert.Equal("/etc/ca.pem", b.RootCertificate);
        Assert.Equal(30, b.TcpKeepAliveTime);
    }

    [Theory]
    [InlineData("postgresql://ingest@db/maebashi", "db", 5432)]
    [InlineData("postgres://ingest@db:5433/maebashi", "db", 5433)]
    [InlineData("postgresql://ingest@[::1]/maebashi", "::1", 5432)]
    [InlineData("postgresql://ingest@[2001:db8::7]:6000/maebashi", "2001:db8::7", 6000)]
    [InlineData("postgresql://ingest@%2Fvar%2Frun%2Fpostgresql/maebashi", "/var/run/postgresql", 5432)]
    [InlineData("postgresql:///maebashi?host=/run/postgresql&user=ingest", "/run/postgresql", 5432)]
    public void The_host_may_be_a_name_a_bracketed_IPv6_address_or_a_socket_directory_and_the_port_defaults_to_5432(string uri, string host, int port)
    {
        NpgsqlConnectionStringBuilder b = PostgresConnectionUri.Parse(uri);

        Assert.Equal(host, b.Host);
        Assert.Equal(port, b.Port);
        Assert.Equal("ingest", b.Username);
        Assert.Equal("maebashi", b.Database);
    }

    [Theory]
    [InlineData("postgresql://ingest@db/maebashi?sslmod=require", "unknown query parameter 'sslmod'")]
    [InlineData("postgresql://ingest@db/maebashi?sslmode=always", "'sslmode': expected disable, allow, prefer, require, verify-ca or verify-full, got 'always'")]
    [InlineData("postgresql://ingest@db/maebashi?target_session_attrs=any&target_session_attrs=primary", "'target_session_attrs' is given twice")]
    [InlineData("postgresql://ingest@db/maebashi?connect_timeout=soon", "'connect_timeout': expected whole seconds")]
    [InlineData("postgresql://ingest@::1/maebashi", "an IPv6 host goes in brackets")]
    [InlineData("postgresql://ingest@[::1/maebashi", "lacks its ']'")]
    [InlineData("postgresql://ingest@db:70000/maebashi", "the port: expected a number from 1 to 65535")]
    [InlineData("postgresql://ingest@db1,db2/maebashi", "several hosts are not supported")]
    [InlineData("postgresql://ingest@/maebashi", "no host")]
    [InlineData("postgresql://ingest@db/maebashi%zz", "the database name: '%' must be followed by two hex digits")]
    [InlineData("mysql://ingest@db/maebashi", "expected postgresql://")]
    public void A_uri_that_cannot_be_used_is_refused_naming_the_option_and_what_is_wrong(string uri, string problem)
    {
        StoreOptionException e = Assert.Throws<StoreOptionException>(() => PostgresConnectionUri.Parse(uri));

        Assert.Equal("--store", e.Option);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://ingest:hunter2@db:port/maebashi")]
    [InlineData("postgresql://ingest:hunt%zzer2@db/maebashi")]
    [InlineData("postgresql://ingest:hunter2@db/maebashi?sslmode=bogus&password=hunter2")]
    public void No_error_shows_the_password(string uri)
    {
        StoreOptionException e = Assert.Throws<StoreOptionException>(() => PostgresConnectionUri.Parse(uri));

        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void What_the_logs_show_of_the_uri_has_every_password_masked()
    {
        string shown = PostgresConnectionUri.Redact("postgresql://ingest:hunter2@db:5432/maebashi?sslpassword=keypass&application_name=w1&password=again");

        Assert.Equal("postgresql://ingest:***@db:5432/maebashi?sslpassword=***&application_name=w1&password=***", shown);
        Assert.Equal("postgresql://ingest@db/maebashi", PostgresConnectionUri.Redact("postgresql://ingest@db/maebashi"));
    }

    [Fact]
    public void The_password_file_gives_its_first_line_as_the_password()
    {
        string file = SecretFile("s3cret pass\nanything after\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        NpgsqlConnectionStringBuilder b = PostgresConnectionUri.Parse("postgresql://ingest@db/maebashi");

        PostgresPassword.Apply(b, file, pgPassFile: null);

        Assert.Equal("s3cret pass", b.Password);
    }

    [Fact]
    public void A_password_file_others_may_read_is_refused_naming_it_and_its_mode()
    {
        string file = SecretFile("s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        NpgsqlConnectionStringBuilder b = PostgresConnectionUri.Parse("postgresql://ingest@db/maebashi");

        StoreOptionException e = Assert.Throws<StoreOptionException>(() => PostgresPassword.Apply(b, file, pgPassFile: null));

        Assert.Equal("--store-pass-file", e.Option);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains("0640", e.Message, StringComparison.Ordinal);
        Assert.Null(b.Password);
    }

    [Fact]
    public void A_password_in_both_the_uri_and_a_file_is_refused()
    {
        string file = SecretFile("other\n", UnixFileMode.UserRead);
        NpgsqlConnectionStringBuilder b = PostgresConnectionUri.Parse("postgresql://ingest:s3cret@db/maebashi");

        StoreOptionException e = Assert.Throws<StoreOptionException>(() => PostgresPassword.Apply(b, file, pgPassFile: null));

        Assert.Contains("give it in one place", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PGPASSFILE_is_used_only_when_owner_only_and_only_without_another_password()
    {
        string pgpass = SecretFile("db:5432:maebashi:ingest:s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        NpgsqlConnectionStringBuilder fromEnvironment = PostgresConnectionUri.Parse("postgresql://ingest@db/maebashi");
        PostgresPassword.Apply(fromEnvironment, passFile: null, pgpass);
        Assert.Equal(pgpass, fromEnvironment.Passfile);

        NpgsqlConnectionStringBuilder inUri = PostgresConnectionUri.Parse("postgresql://ingest:given@db/maebashi");
        PostgresPassword.Apply(inUri, passFile: null, pgpass);
        Assert.Null(inUri.Passfile);
        Assert.Equal("given", inUri.Password);

        string open = SecretFile("*:*:*:*:s3cret\n", UnixFileMode.UserRead | UnixFileMode.OtherRead);
        StoreOptionException e = Assert.Throws<StoreOptionException>(() =>
            PostgresPassword.Apply(PostgresConnectionUri.Parse("postgresql://ingest@db/maebashi"), passFile: null, open));
        Assert.Equal("PGPASSFILE", e.Option);
        Assert.Contains(open, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_run_options_name_a_store_option_that_cannot_be_used()
    {
        string file = SecretFile("s3cret\n", UnixFileMode.UserRead);
        var validator = new IngestOptionsValidator();

        Assert.Contains("StorePassFile (--store-pass-file): only with a postgresql:// store",
            validator.Validate(null, new IngestOptions { RegistryPath = "r.json", StorePassFile = file }).Failures!);
        Assert.Contains("Store (--store): expected litedb or postgresql://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…], got 'sqlite://x'",
            validator.Validate(null, new IngestOptions { RegistryPath = "r.json", Store = "sqlite://x" }).Failures!);
        Assert.True(validator.Validate(null, new IngestOptions { RegistryPath = "r.json", Store = "postgresql://ingest@db/maebashi", StorePassFile = file }).Succeeded);
        Assert.Equal(IngestStoreOption.LiteDb, new IngestOptions { RegistryPath = "r.json" }.Store);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_stops_the_start_naming_the_store_without_its_password()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        (int exit, _, string err) = await EdgeCli.RunAsync(
            ["ingest", "run", "--registry", SharedFixtures.RegistryPath, "--store", "postgresql://ingest:hunter2@127.0.0.1:1/maebashi", "--mqtt-port", "0", "--http-port", "0"]);

        Assert.Equal(2, exit);
        Assert.Contains("--store postgresql://ingest:***@127.0.0.1:1/maebashi: cannot open the database", err, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", err, StringComparison.Ordinal);
    }

    private static string SecretFile(string text, UnixFileMode mode)
    {
        string file = Path.Combine(TestKit.TempDir(), "secret");
        File.WriteAllText(file, text);
        File.SetUnixFileMode(file, mode);
        return file;
    }
}
