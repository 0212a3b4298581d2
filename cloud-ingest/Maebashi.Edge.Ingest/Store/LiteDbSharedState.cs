using System.Globalization;
using LiteDB;
using Layout = Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The shared state (<see cref="ISharedState"/>) in the LiteDB store, whose one process shares it with no other: the
/// deny version and card statuses in <c>meta</c>, the Data Protection keys in <c>dataprotectionkeys</c> of the data
/// directory's file, and the publication order of retained topics kept in this process (each start publishes afresh).
/// </summary>
public sealed partial class LiteDbIngestStore
{
    // Publications of one process, one at a time, and the newest version of each topic the broker took.
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private readonly Dictionary<string, long> _published = new(StringComparer.Ordinal);

    public DenyState DenyState()
    {
        // Units commit and reach the person cache under the write lock: here the three are of one state.
        lock (_writeLock)
        {
            string? version = GetMeta(SharedStateKeys.DenyVersion);
            return new DenyState(version is null ? 0 : long.Parse(version, CultureInfo.InvariantCulture), PersonsInDebt(), GetMeta(SharedStateKeys.CardStatuses));
        }
    }

    public async Task<bool> PublishInOrderAsync(string topic, Func<VersionedPayload> build, Func<byte[], CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(publish);
        await _publishing.WaitAsync(cancellationToken);
        try
        {
            VersionedPayload now = build();
            if (_published.TryGetValue(topic, out long published) && now.Version < published)
            {
                return false;
            }

            await publish(now.Payload, cancellationToken);
            _published[topic] = Math.Max(published, now.Version);
            return true;
        }
        finally
        {
            _publishing.Release();
        }
    }

    public IReadOnlyList<string> DataProtectionKeys() =>
        [.. _db.GetCollection(Layout.DataProtectionKeys).FindAll().OrderBy(d => d["_id"].AsString, StringComparer.Ordinal).Select(d => d["x"].AsString)];

    public void AddDataProtectionKey(string name, string xml) => WriteUnit(_ =>
    {
        ILiteCollection<BsonDocument> keys = _db.GetCollection(Layout.DataProtectionKeys);
        return keys.FindById(name) is null && keys.Insert(new BsonDocument { ["_id"] = name, ["x"] = xml }) is not null;
    });
}

/// <summary>The deny version inside a unit (<see cref="ISharedStateWrite"/>): the store's write lock already serializes units.</summary>
internal sealed partial class LiteDbUnitOfWork
{
    public long LockDenyVersion() => GetMeta(SharedStateKeys.DenyVersion) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : 0;
}
