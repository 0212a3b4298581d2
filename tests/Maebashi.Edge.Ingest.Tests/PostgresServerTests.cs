using Npgsql;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The test server every PostgreSQL test stands on (issue 14, item 7): each test class gets a database of its own
/// that no other sees, reached by the URI <c>ingest run --store</c> takes, and what was committed survives a kill -9
/// and restart of the server.
/// </summary>
[Trait("Category", "ScaleOut")]
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture postgres)
{
    private PostgresServer Server => postgres.Server;

    [Fact]
    public async Task Two_databases_of_the_server_do_not_see_each_others_tables()
    {
        PostgresDatabase a = await Server.CreateDatabaseAsync("isolation_a");
        PostgresDatabase b = await Server.CreateDatabaseAsync("isolation_b");

        Assert.NotEqual(a.Name, b.Name);
        Assert.Equal($"postgresql://postgres@127.0.0.1:{Server.Port}/{a.Name}", a.Uri);
        await ExecuteAsync(a, "CREATE TABLE wallets (pid text PRIMARY KEY, yen integer NOT NULL)");
        await ExecuteAsync(a, "INSERT INTO wallets VALUES ('P0001', 220)");

        Assert.Equal(220, await ScalarAsync<int>(a, "SELECT yen FROM wallets WHERE pid = 'P0001'"));
        Assert.Null(await ScalarAsync<string>(b, "SELECT to_regclass('wallets')::text"));
    }

    [Fact]
    public async Task A_committed_row_survives_kill_9_and_restart_of_the_server()
    {
        PostgresDatabase db = await Server.CreateDatabaseAsync("kill_restart");
        await ExecuteAsync(db, "CREATE TABLE acks (device text, up_to bigint)");
        await ExecuteAsync(db, "INSERT INTO acks VALUES ('BUS0042', 17)");

        Server.Kill();
        Assert.False(Server.IsRunning);
        NpgsqlConnection.ClearAllPools();
        await Server.StartAsync();

        Assert.Equal(17L, await ScalarAsync<long>(db, "SELECT up_to FROM acks WHERE device = 'BUS0042'"));
    }

    private static async Task ExecuteAsync(PostgresDatabase db, string sql)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T?> ScalarAsync<T>(PostgresDatabase db, string sql)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
