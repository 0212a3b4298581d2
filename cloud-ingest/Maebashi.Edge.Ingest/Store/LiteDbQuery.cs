using LiteDB;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The LiteDB store's query predicates, with their values as parameters (<c>@0</c>, <c>@1</c>).
/// </summary>
/// <remarks>
/// LiteDB's own <c>Query.EQ</c>, <c>Query.Between</c> and the like write the value into the expression's text, and LiteDB
/// compiles each distinct text into a delegate (a <c>DynamicMethod</c>) that it keeps for the life of the process. With a
/// person's id or a day in the text, every query compiled anew (half the CPU of each ingested tap, docs/benchmarks.md)
/// and the cache grew with every person and day ever read. Here the text is fixed per field, compiled once; the values
/// travel as parameters, which LiteDB's planner uses for an index seek as it does literals.
/// </remarks>
internal static class LiteDbQuery
{
    public static BsonExpression EQ(string field, BsonValue value) => BsonExpression.Create(field + " = @0", value);

    /// <summary>An element of the array <paramref name="field"/> equal to <paramref name="value"/> (a multi-key index on <c>$.field[*]</c> serves it).</summary>
    public static BsonExpression AnyEQ(string field, BsonValue value) => BsonExpression.Create(field + "[*] ANY = @0", value);

    public static BsonExpression LT(string field, BsonValue value) => BsonExpression.Create(field + " < @0", value);

    public static BsonExpression LTE(string field, BsonValue value) => BsonExpression.Create(field + " <= @0", value);

    public static BsonExpression GTE(string field, BsonValue value) => BsonExpression.Create(field + " >= @0", value);

    public static BsonExpression GT(string field, BsonValue value) => BsonExpression.Create(field + " > @0", value);

    /// <summary>
    /// The documents with <c>from ≤ _id ≤ to</c> (numeric ids) in key order, read a few at a time, each few in a query of
    /// its own: a LiteDB query holds every page it read until it ends, and LiteDB never gives back the memory its page
    /// cache grew to, so one query over a collection of hundreds of megabytes (the person snapshot of a year's store)
    /// left that much resident for the life of the process.
    /// </summary>
    public static IEnumerable<BsonDocument> InKeyRange(ILiteCollection<BsonDocument> collection, long from, long to, int documentsPerQuery = 16)
    {
        while (from <= to)
        {
            List<BsonDocument> some = [.. collection.Find(Between("_id", from, to), 0, documentsPerQuery)];
            foreach (BsonDocument d in some)
            {
                yield return d;
            }

            if (some.Count < documentsPerQuery || some[^1]["_id"].AsInt64 == long.MaxValue)
            {
                yield break;
            }

            from = some[^1]["_id"].AsInt64 + 1;
        }
    }

    /// <summary><paramref name="field"/> from <paramref name="low"/> to <paramref name="high"/>, both included.</summary>
    public static BsonExpression Between(string field, BsonValue low, BsonValue high) =>
        BsonExpression.Create(field + " BETWEEN @0 AND @1", low, high);

    /// <summary><paramref name="field"/> above <paramref name="low"/>, up to <paramref name="high"/> included.</summary>
    public static BsonExpression AboveUpTo(string field, BsonValue low, BsonValue high) =>
        BsonExpression.Create("(" + field + " > @0 AND " + field + " <= @1)", low, high);

    /// <summary><paramref name="field"/> equal to <paramref name="value"/> and <paramref name="from"/> at least <paramref name="since"/>.</summary>
    public static BsonExpression EqSince(string field, BsonValue value, string from, BsonValue since) =>
        BsonExpression.Create("(" + field + " = @0 AND " + from + " >= @1)", value, since);
}
