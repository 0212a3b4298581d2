using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

/// <summary>The store contract on the embedded default: LiteDB in a directory of its own.</summary>
[Trait("Category", "ScaleOut")]
public sealed class LiteDbStoreConformanceTests : StoreConformanceTests
{
    protected override Task<Func<IIngestStore>> NewStoreAsync()
    {
        string dir = TestKit.TempDir();
        return Task.FromResult<Func<IIngestStore>>(() => new LiteDbIngestStore(dir));
    }
}
