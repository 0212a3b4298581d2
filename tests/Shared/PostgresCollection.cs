namespace Maebashi.Edge.TestSupport;

/// <summary>
/// The one PostgreSQL test server of a test assembly, started before its first test class that needs it and
/// deleted after the last: a test class joins with <c>[Collection(PostgresCollection.Name)]</c> and takes this
/// fixture in its constructor. The classes of the collection run one after another, so a fault test that kills
/// the server disturbs no other test.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <exception cref="InvalidOperationException">PostgreSQL is not installed (the fixture's start failed and said why).</exception>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("the PostgreSQL test server has not started");

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL test server";
}
