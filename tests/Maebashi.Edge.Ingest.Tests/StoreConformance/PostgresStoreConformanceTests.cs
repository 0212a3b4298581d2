using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Store.Postgres;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

/// <summary>
/// The store contract on PostgreSQL: a database of its own per test on the assembly's test server, reached by the
/// URI <c>ingest run --store</c> takes; reopening is a new <see cref="PostgresIngestStore"/> on the same database.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "ScaleOut")]
public sealed class PostgresStoreConformanceTests(PostgresFixture postgres) : StoreConformanceTests
{
    protected override bool SharedByWorkers => true;

    protected override async Task<Func<IIngestStore>> NewStoreAsync()
    {
        PostgresDatabase db = await postgres.Server.CreateDatabaseAsync("conformance");
        return () => new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri));
    }
}
