using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LiteDB;
using Layout = Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The bounded quarantine in the LiteDB store (the shape of <see cref="IIngestStore"/>'s comment in documents), inside the
/// caller's transaction. Collections (<see cref="LiteDbLayout"/>):
/// <list type="bullet">
/// <item><c>quarantinerecords { _id: Int64 (rising), kind, dev, topic, code, reason, seq, at, size, sha, rep, bytes, k, d, c, dc }</c>:
/// small documents, so a page never reads a payload. <c>k</c> (unique) is the repeat key, SHA-256 of device, code,
/// payload hash and seq. <c>d</c>, <c>c</c> and <c>dc</c> are the paging keys of the filters: 8 bytes of SHA-256 of the
/// device, the code, or both, then the id big-endian, so one filter's records are one range of one index, in id order
/// (binary values compare byte by byte; strings would compare by LiteDB's culture collation, without case).</item>
/// <item><c>quarantinepayloads { _id: the record's id, b: the kept payload }</c>.</item>
/// <item><c>quarantineusage { _id: the device as UTF-8 bytes, dev, n: records, bytes, drop: { code: count } }</c> and
/// <c>quarantinetotal { _id: 0, n, bytes, next: the next record id }</c>: the counters the limits are checked against.</item>
/// </list>
/// </summary>
internal static class LiteDbQuarantine
{
    private const int TotalId = 0;

    /// <summary>Bytes of a filter's hash at the head of a paging key.</summary>
    private const int PrefixBytes = 8;

    public static void EnsureIndexes(LiteDatabase db)
    {
        ILiteCollection<BsonDocument> records = db.GetCollection(Layout.QuarantineRecords);
        records.EnsureIndex("k", unique: true);
        records.EnsureIndex("d");
        records.EnsureIndex("c");
        records.EnsureIndex("dc");
        records.EnsureIndex("at");
    }

    public static QuarantineOutcome Add(LiteDatabase db, QuarantineEntry e, QuarantineLimits limits)
    {
        ILiteCollection<BsonDocument> records = db.GetCollection(Layout.QuarantineRecords);
        byte[] key = RepeatKey(e.Device, e.Code, e.Sha256, e.Seq);
        if (records.FindOne(LiteDbQuery.EQ("k", key)) is { } existing)
        {
            existing["rep"] = existing["rep"].AsInt64 + 1;
            records.Update(existing);
            return QuarantineOutcome.Repeated;
        }

        ILiteCollection<BsonDocument> usageCol = db.GetCollection(Layout.QuarantineUsage);
        ILiteCollection<BsonDocument> totalCol = db.GetCollection(Layout.QuarantineTotal);
        byte[] deviceKey = Encoding.UTF8.GetBytes(e.Device);
        BsonDocument usage = usageCol.FindById(deviceKey) ?? new BsonDocument { ["_id"] = deviceKey, ["dev"] = e.Device, ["n"] = 0L, ["bytes"] = 0L, ["drop"] = new BsonDocument() };
        BsonDocument total = totalCol.FindById(TotalId) ?? new BsonDocument { ["_id"] = TotalId, ["n"] = 0L, ["bytes"] = 0L, ["next"] = 1L };
        long bytes = e.Bytes;
        if (usage["bytes"].AsInt64 + bytes > limits.DeviceBytes || total["bytes"].AsInt64 + bytes > limits.TotalBytes)
        {
            BsonDocument dropped = usage["drop"].AsDocument;
            dropped[e.Code] = (dropped.TryGetValue(e.Code, out BsonValue n) ? n.AsInt64 : 0L) + 1;
            usageCol.Upsert(usage);
            return QuarantineOutcome.Dropped;
        }

        long id = total["next"].AsInt64;
        records.Insert(new BsonDocument
        {
            ["_id"] = id,
            ["kind"] = (int)e.Kind,
            ["dev"] = e.Device,
            ["topic"] = e.Topic,
            ["code"] = e.Code,
            ["reason"] = e.Reason,
            ["seq"] = e.Seq is { } s ? new BsonValue(unchecked((long)s)) : BsonValue.Null,
            ["at"] = e.At.UtcTicks,
            ["size"] = e.Size,
            ["sha"] = e.Sha256,
            ["rep"] = 0L,
            ["bytes"] = bytes,
            ["k"] = key,
            ["d"] = PagingKey(Prefix(e.Device), id),
            ["c"] = PagingKey(Prefix(e.Code), id),
            ["dc"] = PagingKey(Prefix(e.Device, e.Code), id),
        });
        db.GetCollection(Layout.QuarantinePayloads).Insert(new BsonDocument { ["_id"] = id, ["b"] = e.Kept });
        usage["n"] = usage["n"].AsInt64 + 1;
        usage["bytes"] = usage["bytes"].AsInt64 + bytes;
        usageCol.Upsert(usage);
        total["n"] = total["n"].AsInt64 + 1;
        total["bytes"] = total["bytes"].AsInt64 + bytes;
        total["next"] = id + 1;
        totalCol.Upsert(total);
        return QuarantineOutcome.Added;
    }

    /// <summary>A keyset page: one range read of the filter's index, newest first, one record more than the page to know if another follows.</summary>
    public static QuarantinePage Page(LiteDatabase db, QuarantineQuery q)
    {
        long before = q.Before ?? long.MaxValue;
        if (before <= 1 || q.Limit <= 0)
        {
            return new QuarantinePage([], null);
        }

        (string field, byte[]? prefix) = (q.Device, q.Code) switch
        {
            (null, null) => ("_id", null),
            ({ } d, null) => ("d", Prefix(d)),
            (null, { } c) => ("c", Prefix(c)),
            ({ } d, { } c) => ("dc", Prefix(d, c)),
        };
        // Between, not LT: LiteDB seeks a range's end and walks down from it (its plan: INDEX RANGE SCAN), where LT
        // would walk the index from the newest key, past every record newer than the page.
        BsonExpression range = prefix is null
            ? LiteDbQuery.Between("_id", 1L, before - 1)
            : LiteDbQuery.Between(field, PagingKey(prefix, 0), PagingKey(prefix, before - 1));
        List<BsonDocument> found = db.GetCollection(Layout.QuarantineRecords).Query()
            .Where(range)
            .OrderByDescending(field)
            .Limit(q.Limit + 1)
            .ToList();
        List<QuarantineRecord> items =
        [
            .. found.Take(q.Limit).Select(Read)
                // The 8-byte prefixes of two devices or codes could in principle be equal: the page holds only exact matches.
                .Where(r => (q.Device is null || r.Device == q.Device) && (q.Code is null || r.Code == q.Code)),
        ];
        return new QuarantinePage(items, found.Count > q.Limit ? found[q.Limit - 1]["_id"].AsInt64 : null);
    }

    public static byte[]? Payload(LiteDatabase db, long id) =>
        db.GetCollection(Layout.QuarantinePayloads).FindById(id) is { } d ? d["b"].AsBinary : null;

    /// <summary>Removes the oldest records first quarantined before <paramref name="olderThan"/>, at most <paramref name="max"/>, and their usage.</summary>
    public static int Purge(LiteDatabase db, DateTimeOffset olderThan, int max)
    {
        ILiteCollection<BsonDocument> records = db.GetCollection(Layout.QuarantineRecords);
        List<BsonDocument> old = records.Query().Where(LiteDbQuery.LT("at", olderThan.UtcTicks)).OrderBy("at").Limit(max).ToList();
        if (old.Count == 0)
        {
            return 0;
        }

        ILiteCollection<BsonDocument> payloads = db.GetCollection(Layout.QuarantinePayloads);
        foreach (BsonDocument r in old)
        {
            records.Delete(r["_id"]);
            payloads.Delete(r["_id"]);
        }

        ILiteCollection<BsonDocument> usageCol = db.GetCollection(Layout.QuarantineUsage);
        foreach (IGrouping<string, BsonDocument> ofDevice in old.GroupBy(r => r["dev"].AsString, StringComparer.Ordinal))
        {
            BsonDocument usage = usageCol.FindById(Encoding.UTF8.GetBytes(ofDevice.Key));
            usage["n"] = usage["n"].AsInt64 - ofDevice.Count();
            usage["bytes"] = usage["bytes"].AsInt64 - ofDevice.Sum(r => r["bytes"].AsInt64);
            usageCol.Update(usage);
        }

        ILiteCollection<BsonDocument> totalCol = db.GetCollection(Layout.QuarantineTotal);
        BsonDocument total = totalCol.FindById(TotalId);
        total["n"] = total["n"].AsInt64 - old.Count;
        total["bytes"] = total["bytes"].AsInt64 - old.Sum(r => r["bytes"].AsInt64);
        totalCol.Update(total);
        return old.Count;
    }

    public static IReadOnlyList<QuarantineUsage> Usage(LiteDatabase db) =>
    [
        .. db.GetCollection(Layout.QuarantineUsage).FindAll().Select(d => new QuarantineUsage(
            d["dev"].AsString,
            d["n"].AsInt64,
            d["bytes"].AsInt64,
            d["drop"].AsDocument.ToDictionary(kv => kv.Key, kv => kv.Value.AsInt64, StringComparer.Ordinal))),
    ];

    /// <summary>
    /// Moves at most <paramref name="max"/> records of a store written before the limits (<see cref="LiteDbLayout.LegacyQuarantine"/>)
    /// into the bounded layout, whole (they were held already; the limits apply to what comes next); returns how many.
    /// </summary>
    public static int MoveLegacy(LiteDatabase db, int max)
    {
        ILiteCollection<BsonDocument> legacy = db.GetCollection(Layout.LegacyQuarantine);
        // Oldest first, so that the new ids (the paging order) follow the time they were quarantined.
        List<BsonDocument> batch = legacy.Query().OrderBy("at").Limit(max).ToList();
        var unbounded = new QuarantineLimits(long.MaxValue / 2, long.MaxValue / 2, int.MaxValue, TimeSpan.MaxValue);
        foreach (BsonDocument d in batch)
        {
            string id = d["_id"].AsString;
            byte[] payload = d["b"].AsBinary;
            Add(db, new QuarantineEntry(
                d["scope"].AsString == "event" ? QuarantineKind.Event : QuarantineKind.Batch,
                d["dev"].AsString,
                d["topic"].AsString,
                d["code"].AsString,
                d["reason"].AsString,
                d["seq"].IsNull ? null : unchecked((ulong)d["seq"].AsInt64),
                new DateTimeOffset(d["at"].AsInt64, TimeSpan.Zero),
                // The old id is the SHA-256 of the payload as it arrived (and '#' and the seq for an event); its size was not kept.
                id.Split('#')[0],
                payload.LongLength,
                payload), unbounded);
            legacy.Delete(d["_id"]);
        }

        return batch.Count;
    }

    private static QuarantineRecord Read(BsonDocument d) => new(
        d["_id"].AsInt64,
        (QuarantineKind)d["kind"].AsInt32,
        d["dev"].AsString,
        d["topic"].AsString,
        d["code"].AsString,
        d["reason"].AsString,
        d["seq"].IsNull ? null : unchecked((ulong)d["seq"].AsInt64),
        new DateTimeOffset(d["at"].AsInt64, TimeSpan.Zero),
        d["size"].AsInt64,
        d["sha"].AsString,
        d["rep"].AsInt64,
        d["bytes"].AsInt64);

    private static byte[] RepeatKey(string device, string code, string sha256, ulong? seq) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', device, code, sha256, seq?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "")));

    private static byte[] Prefix(params string[] parts) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', parts)))[..PrefixBytes];

    private static byte[] PagingKey(byte[] prefix, long id)
    {
        byte[] key = new byte[PrefixBytes + sizeof(long)];
        prefix.CopyTo(key, 0);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(PrefixBytes), id);
        return key;
    }
}
