using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The store's quarantine as the pipeline tests read it: how many records it holds, and the newest ones.</summary>
internal static class QuarantineReads
{
    /// <summary>Records held, from the store's usage counters.</summary>
    public static long QuarantineCount(this IIngestStore store) => store.QuarantineUsage().Sum(u => u.Records);

    /// <summary>The newest <paramref name="newest"/> records (the first page).</summary>
    public static IReadOnlyList<QuarantineRecord> Quarantine(this IIngestStore store, int newest) =>
        store.Quarantine(new QuarantineQuery(null, null, null, newest)).Items;
}
