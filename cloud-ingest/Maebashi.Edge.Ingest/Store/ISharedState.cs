namespace Maebashi.Edge.Ingest.Store;

// State several ingest workers on one store share, which a single process once kept in memory (issue 14, docs/ingest.md
// "Several workers"): the deny list's version with what it is computed from, the order retained messages are published
// in, and the keys that protect the console's and My Page's cookies.
//
// - The deny version is one number in the store (meta key "denyVersion"). A unit that changes the deny list locks it
//   (LockDenyVersion; PostgreSQL: the meta row FOR UPDATE, taken last in the unit, after the devices and persons, so two
//   workers never wait on each other in a cycle), then reads the run-time card statuses, writes them and the version + 1.
//   Two workers' changes are therefore serialized and numbered in commit order.
// - DenyState() reads the version, the persons in debt and the card statuses as of one snapshot: the list for a version
//   is a function of the store, so any worker publishes the same list for the same version.
// - PublishInOrderAsync serializes the publication of one retained topic over every worker (PostgreSQL: the topic's row
//   of retained_published FOR UPDATE, held while the broker acknowledges the publish; a killed worker's transaction ends
//   with its connection, freeing the row). It publishes what the builder returns then, unless a newer version of the
//   topic was published already, and records the version once the broker took it: a retained topic never goes back to
//   an older version, whichever worker publishes it.
// - Data Protection keys (StoreXmlRepository) are XML elements under a name, added and never changed.

/// <summary>The deny list's inputs as of one snapshot of the store.</summary>
/// <param name="Version">The latest committed deny version (0: none yet).</param>
/// <param name="Debtors">Every person whose stored state is in debt.</param>
/// <param name="CardStatuses">The run-time card statuses as stored (<c>Pipeline/CardStatuses</c>' document), or null.</param>
public sealed record DenyState(long Version, IReadOnlyList<string> Debtors, string? CardStatuses);

/// <summary>A versioned retained message, as <see cref="ISharedState.PublishInOrderAsync"/> publishes it.</summary>
public sealed record VersionedPayload(long Version, byte[] Payload);

/// <summary>The write side of the shared state, inside a unit of work.</summary>
public interface ISharedStateWrite
{
    /// <summary>
    /// The latest committed deny version, locked until the unit ends: no other worker's unit changes it (or the card
    /// statuses, written under it) meanwhile. Call it after the unit's other locks; store the next version with
    /// <see cref="IIngestWrite.SetMeta"/> under <see cref="SharedStateKeys.DenyVersion"/>.
    /// </summary>
    long LockDenyVersion();
}

/// <summary>The shared state of several workers on one store (see the file's comment).</summary>
public interface ISharedState
{
    /// <summary>The deny version, the persons in debt and the card statuses, as of one snapshot.</summary>
    DenyState DenyState();

    /// <summary>
    /// Publishes the retained <paramref name="topic"/> under the store's lock for it: <paramref name="build"/> gives the
    /// version and payload to publish now; nothing is published (false) when a newer version of the topic was published
    /// before, by any worker. The version is recorded as published once <paramref name="publish"/> returned.
    /// </summary>
    Task<bool> PublishInOrderAsync(string topic, Func<VersionedPayload> build, Func<byte[], CancellationToken, Task> publish, CancellationToken cancellationToken);

    /// <summary>Every Data Protection key element stored (XML text).</summary>
    IReadOnlyList<string> DataProtectionKeys();

    /// <summary>Stores a Data Protection key element under its name (a key id); durable on return. A name stored before keeps its element.</summary>
    void AddDataProtectionKey(string name, string xml);
}

/// <summary>The meta keys of the shared state.</summary>
public static class SharedStateKeys
{
    /// <summary>The deny list's version (decimal text).</summary>
    public const string DenyVersion = "denyVersion";

    /// <summary>The run-time card statuses (<c>Pipeline/CardStatuses</c>).</summary>
    public const string CardStatuses = "cardStatuses";
}
