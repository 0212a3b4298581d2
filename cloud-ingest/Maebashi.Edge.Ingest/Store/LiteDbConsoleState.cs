using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LiteDB;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Web.MyPage;
using Maebashi.Edge.Ingest.Web.Notices;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>The web's shared state (<see cref="IConsoleStateStore"/>) in the LiteDB store: each change is a unit of its own, under the store's write lock.</summary>
public sealed partial class LiteDbIngestStore
{
    public void AppendAudit(AuditRecord record) => WriteUnit(_ =>
    {
        LiteDbConsoleState.AppendAudit(_db, record);
        return true;
    });

    public AuditPage AuditPage(long? before, int take, string? operatorName) => LiteDbConsoleState.AuditPage(_db, before, take, operatorName);

    public IReadOnlyList<AuditEntry> AuditAbout(IReadOnlyCollection<string> subjects, int take) => LiteDbConsoleState.AuditAbout(_db, subjects, take);

    public void ReplaceOperators(IReadOnlyList<Operator> operators) => WriteUnit(_ =>
    {
        LiteDbConsoleState.ReplaceOperators(_db, operators);
        return true;
    });

    public IReadOnlyList<Operator> Operators() => LiteDbConsoleState.Operators(_db);

    public SignInFailures? SignInFailuresOf(SignInRealm realm, string account) => LiteDbConsoleState.SignInFailuresOf(_db, realm, account);

    public SignInFailures? ChangeSignInFailures(SignInRealm realm, string account, Func<SignInFailures?, SignInFailures?> change) =>
        WriteUnit(_ => LiteDbConsoleState.ChangeSignInFailures(_db, realm, account, change));

    public IReadOnlyDictionary<string, DateTimeOffset> LockedAccounts(SignInRealm realm, DateTimeOffset lockedAfter) =>
        LiteDbConsoleState.LockedAccounts(_db, realm, lockedAfter);

    public CitizenAccount? Citizen(string login) => LiteDbConsoleState.Citizen(_db, login);

    public void PutEnrollment(PendingEnrollment code, DateTimeOffset now) => WriteUnit(_ =>
    {
        LiteDbConsoleState.PutEnrollment(_db, code, now);
        return true;
    });

    public PendingEnrollment? Enrollment(string codeHash) => LiteDbConsoleState.Enrollment(_db, codeHash);

    public EnrollOutcome RedeemEnrollment(string codeHash, string login, string passwordHash, DateTimeOffset now, Func<string, string?> resolvePid) =>
        WriteUnit(_ => LiteDbConsoleState.Redeem(_db, codeHash, login, passwordHash, now, resolvePid));

    public IReadOnlyList<CityNotice> Notices() => LiteDbConsoleState.Notices(_db);

    public CityNotice? PostNotice(CityNotice notice, int maxKept) => WriteUnit(_ => LiteDbConsoleState.PostNotice(_db, notice, maxKept));

    public bool WithdrawNotice(long id, DateTimeOffset at) => WriteUnit(_ => LiteDbConsoleState.WithdrawNotice(_db, id, at));

    public bool ImportWebState(WebStateImport import, string doneKey, string? doneBefore, string doneValue) => WriteUnit(u =>
    {
        if (u.GetMetaForUpdate(doneKey) != doneBefore)
        {
            return false;
        }

        foreach (AuditRecord r in import.Audit)
        {
            LiteDbConsoleState.AppendAudit(_db, r);
        }

        foreach (CitizenAccount a in import.Citizens)
        {
            LiteDbConsoleState.PutCitizen(_db, a);
        }

        foreach (PendingEnrollment e in import.Enrollments)
        {
            LiteDbConsoleState.PutEnrollment(_db, e, DateTimeOffset.MinValue);
        }

        foreach (CityNotice n in import.Notices.OrderBy(n => n.Id))
        {
            LiteDbConsoleState.InsertNotice(_db, n);
        }

        u.SetMeta(doneKey, doneValue);
        return true;
    });
}

/// <summary>
/// The documents of the web's shared state in the LiteDB store, inside the caller's transaction:
/// <list type="bullet">
/// <item><c>audit { _id: Int64 (rising), at, op, sc, m, r, st, sub: [subject], ok }</c>, <c>ok</c> (indexed) the operator's
/// paging key; <c>auditsubjects { _id: a subject's paging key }</c>, one per subject of a record. A paging key is 8 bytes
/// of SHA-256 of the operator or subject, then the record's id big-endian: one operator's or subject's records are one
/// range of one index, in id order (binary values compare byte by byte).</item>
/// <item><c>operators { _id: name, sc, tok, ph }</c>; <c>signinfailures { _id: "realm|account", re, acc, f: [ticks], lk }</c>.</item>
/// <item><c>citizens { _id: login, ph, pid (indexed), at }</c>; <c>enrollments { _id: code hash, tok (indexed), exp (indexed) }</c>.</item>
/// <item><c>notices { _id: Int64 (rising, from <c>sequences { _id: "notices", n }</c>), kind, t, b, at, until, by, wd }</c>.</item>
/// </list>
/// </summary>
internal static class LiteDbConsoleState
{
    public const string Audit = "audit";
    public const string AuditSubjects = "auditsubjects";
    public const string OperatorsCollection = "operators";
    public const string SignInFailuresCollection = "signinfailures";
    public const string Citizens = "citizens";
    public const string Enrollments = "enrollments";
    public const string NoticesCollection = "notices";
    public const string Sequences = "sequences";

    private const int PrefixBytes = 8;

    public static void EnsureIndexes(LiteDatabase db)
    {
        db.GetCollection(Audit).EnsureIndex("ok");
        db.GetCollection(Citizens).EnsureIndex("pid");
        db.GetCollection(Enrollments).EnsureIndex("tok");
        db.GetCollection(Enrollments).EnsureIndex("exp");
    }

    public static void AppendAudit(LiteDatabase db, AuditRecord r)
    {
        ILiteCollection<BsonDocument> audit = db.GetCollection(Audit);
        long id = NextId(audit);
        audit.Insert(new BsonDocument
        {
            ["_id"] = id,
            ["at"] = r.At.UtcTicks,
            ["op"] = r.Operator,
            ["sc"] = r.Scope,
            ["m"] = r.Method,
            ["r"] = r.Route,
            ["st"] = r.Status,
            ["sub"] = new BsonArray(r.Subjects.Select(s => new BsonValue(s))),
            ["ok"] = PagingKey(Prefix(r.Operator), id),
        });
        ILiteCollection<BsonDocument> subjects = db.GetCollection(AuditSubjects);
        foreach (string s in r.Subjects.Distinct(StringComparer.Ordinal))
        {
            subjects.Upsert(new BsonDocument { ["_id"] = PagingKey(Prefix(s), id) });
        }
    }

    public static AuditPage AuditPage(LiteDatabase db, long? before, int take, string? operatorName)
    {
        long end = before ?? long.MaxValue;
        if (end <= 1 || take <= 0)
        {
            return new AuditPage([], null);
        }

        // Between, not LT: LiteDB seeks the range's end and walks down from it (as LiteDbQuarantine.Page does).
        List<BsonDocument> found = operatorName is null
            ? [.. db.GetCollection(Audit).Query().Where(LiteDbQuery.Between("_id", 1L, end - 1)).OrderByDescending("_id").Limit(take + 1).ToEnumerable()]
            : [.. db.GetCollection(Audit).Query()
                .Where(LiteDbQuery.Between("ok", PagingKey(Prefix(operatorName), 0), PagingKey(Prefix(operatorName), end - 1)))
                .OrderByDescending("ok").Limit(take + 1).ToEnumerable()];
        List<AuditEntry> entries = [.. found.Take(take).Select(ReadAudit).Where(e => operatorName is null || e.Operator == operatorName)];
        return new AuditPage(entries, found.Count > take ? found[take - 1]["_id"].AsInt64 : null);
    }

    public static IReadOnlyList<AuditEntry> AuditAbout(LiteDatabase db, IReadOnlyCollection<string> subjects, int take)
    {
        ILiteCollection<BsonDocument> index = db.GetCollection(AuditSubjects);
        var ids = new SortedSet<long>(Comparer<long>.Create((a, b) => b.CompareTo(a)));
        foreach (string s in subjects.Distinct(StringComparer.Ordinal))
        {
            byte[] prefix = Prefix(s);
            foreach (BsonDocument d in index.Query().Where(LiteDbQuery.Between("_id", PagingKey(prefix, 0), PagingKey(prefix, long.MaxValue)))
                .OrderByDescending("_id").Limit(take).ToEnumerable())
            {
                ids.Add(BinaryPrimitives.ReadInt64BigEndian(d["_id"].AsBinary.AsSpan(PrefixBytes)));
            }
        }

        var wanted = new HashSet<string>(subjects, StringComparer.Ordinal);
        ILiteCollection<BsonDocument> audit = db.GetCollection(Audit);
        return [.. ids.Select(id => audit.FindById(id)).Where(d => d is not null).Select(ReadAudit).Where(e => e.Subjects.Any(wanted.Contains)).Take(take)];
    }

    public static void ReplaceOperators(LiteDatabase db, IReadOnlyList<Operator> operators)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(OperatorsCollection);
        col.DeleteAll();
        foreach (Operator o in operators)
        {
            col.Insert(new BsonDocument
            {
                ["_id"] = o.Name,
                ["sc"] = o.Scope,
                ["tok"] = o.Token is null ? BsonValue.Null : new BsonValue(o.Token),
                ["ph"] = o.PasswordHash is null ? BsonValue.Null : new BsonValue(o.PasswordHash),
            });
        }

        var names = operators.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        ILiteCollection<BsonDocument> failures = db.GetCollection(SignInFailuresCollection);
        foreach (BsonDocument gone in failures.FindAll().Where(d => d["re"].AsInt32 == (int)SignInRealm.Operator && !names.Contains(d["acc"].AsString)).ToList())
        {
            failures.Delete(gone["_id"]);
        }
    }

    public static IReadOnlyList<Operator> Operators(LiteDatabase db) =>
        [.. db.GetCollection(OperatorsCollection).FindAll().Select(d => new Operator(
            d["_id"].AsString, d["tok"].IsNull ? null : d["tok"].AsString, d["sc"].AsString, d["ph"].IsNull ? null : d["ph"].AsString))];

    public static SignInFailures? SignInFailuresOf(LiteDatabase db, SignInRealm realm, string account) =>
        db.GetCollection(SignInFailuresCollection).FindById(FailuresId(realm, account)) is { } d ? ReadFailures(d) : null;

    public static SignInFailures? ChangeSignInFailures(LiteDatabase db, SignInRealm realm, string account, Func<SignInFailures?, SignInFailures?> change)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(SignInFailuresCollection);
        string id = FailuresId(realm, account);
        SignInFailures? next = change(col.FindById(id) is { } d ? ReadFailures(d) : null);
        if (next is null)
        {
            col.Delete(id);
            return null;
        }

        col.Upsert(new BsonDocument
        {
            ["_id"] = id,
            ["re"] = (int)realm,
            ["acc"] = account,
            ["f"] = new BsonArray(next.Failures.Select(t => new BsonValue(t.UtcTicks))),
            ["lk"] = next.LockedAt is { } at ? new BsonValue(at.UtcTicks) : BsonValue.Null,
        });
        return next;
    }

    public static IReadOnlyDictionary<string, DateTimeOffset> LockedAccounts(LiteDatabase db, SignInRealm realm, DateTimeOffset lockedAfter) =>
        db.GetCollection(SignInFailuresCollection).FindAll()
            .Where(d => d["re"].AsInt32 == (int)realm && !d["lk"].IsNull && d["lk"].AsInt64 > lockedAfter.UtcTicks)
            .ToDictionary(d => d["acc"].AsString, d => new DateTimeOffset(d["lk"].AsInt64, TimeSpan.Zero), StringComparer.Ordinal);

    public static CitizenAccount? Citizen(LiteDatabase db, string login) =>
        db.GetCollection(Citizens).FindById(login) is { } d
            ? new CitizenAccount(d["_id"].AsString, d["ph"].AsString, d["pid"].AsString, new DateTimeOffset(d["at"].AsInt64, TimeSpan.Zero))
            : null;

    /// <summary>The person's account under its login, replacing any other account of the person (one account per person).</summary>
    public static void PutCitizen(LiteDatabase db, CitizenAccount a)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(Citizens);
        col.DeleteMany(LiteDbQuery.EQ("pid", a.Pid));
        col.Upsert(new BsonDocument { ["_id"] = a.Login, ["ph"] = a.PasswordHash, ["pid"] = a.Pid, ["at"] = a.CreatedAt.UtcTicks });
    }

    public static void PutEnrollment(LiteDatabase db, PendingEnrollment code, DateTimeOffset now)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(Enrollments);
        col.DeleteMany(LiteDbQuery.EQ("tok", code.Token));
        col.DeleteMany(LiteDbQuery.LTE("exp", now.UtcTicks));
        col.Upsert(new BsonDocument { ["_id"] = code.CodeHash, ["tok"] = code.Token, ["exp"] = code.ExpiresAt.UtcTicks });
    }

    public static PendingEnrollment? Enrollment(LiteDatabase db, string codeHash) =>
        db.GetCollection(Enrollments).FindById(codeHash) is { } d
            ? new PendingEnrollment(d["_id"].AsString, d["tok"].AsString, new DateTimeOffset(d["exp"].AsInt64, TimeSpan.Zero))
            : null;

    public static EnrollOutcome Redeem(LiteDatabase db, string codeHash, string login, string passwordHash, DateTimeOffset now, Func<string, string?> resolvePid)
    {
        if (Enrollment(db, codeHash) is not { } pending || pending.ExpiresAt <= now || resolvePid(pending.Token) is not { } pid)
        {
            return EnrollOutcome.BadCode;
        }

        if (Citizen(db, login) is { } taken && taken.Pid != pid)
        {
            return EnrollOutcome.LoginTaken;
        }

        db.GetCollection(Enrollments).Delete(codeHash);
        PutCitizen(db, new CitizenAccount(login, passwordHash, pid, now));
        return EnrollOutcome.Enrolled;
    }

    public static IReadOnlyList<CityNotice> Notices(LiteDatabase db) =>
        [.. db.GetCollection(NoticesCollection).Query().OrderByDescending("_id").ToEnumerable().Select(ReadNotice)];

    public static CityNotice? PostNotice(LiteDatabase db, CityNotice notice, int maxKept)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(NoticesCollection);
        List<CityNotice> kept = [.. Notices(db).OrderBy(n => n.Id)];
        while (kept.Count >= maxKept && kept.FindIndex(n => !n.IsShownAt(notice.PostedAt)) is var oldest and >= 0)
        {
            col.Delete(kept[oldest].Id);
            kept.RemoveAt(oldest);
        }

        return kept.Count >= maxKept ? null : InsertNotice(db, notice);
    }

    public static CityNotice InsertNotice(LiteDatabase db, CityNotice notice)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(NoticesCollection);
        CityNotice stored = notice with { Id = NextSequence(db, NoticesCollection) };
        col.Insert(new BsonDocument
        {
            ["_id"] = stored.Id,
            ["kind"] = (int)stored.Kind,
            ["t"] = stored.Title,
            ["b"] = stored.Body,
            ["at"] = stored.PostedAt.UtcTicks,
            ["until"] = Ticks(stored.Until),
            ["by"] = stored.PostedBy,
            ["wd"] = Ticks(stored.WithdrawnAt),
        });
        return stored;
    }

    public static bool WithdrawNotice(LiteDatabase db, long id, DateTimeOffset at)
    {
        ILiteCollection<BsonDocument> col = db.GetCollection(NoticesCollection);
        if (col.FindById(id) is not { } d || !d["wd"].IsNull)
        {
            return false;
        }

        d["wd"] = at.UtcTicks;
        return col.Update(d);
    }

    /// <summary>The next of a rising id that is never given twice, even after the record that had the highest is deleted (notices).</summary>
    private static long NextSequence(LiteDatabase db, string name)
    {
        ILiteCollection<BsonDocument> sequences = db.GetCollection(Sequences);
        long next = (sequences.FindById(name)?["n"].AsInt64 ?? 0) + 1;
        sequences.Upsert(new BsonDocument { ["_id"] = name, ["n"] = next });
        return next;
    }

    /// <summary>The audit log's next id: its records are never deleted, so the highest id stays.</summary>
    private static long NextId(ILiteCollection<BsonDocument> col) =>
        (col.Query().OrderByDescending("_id").Limit(1).FirstOrDefault()?["_id"].AsInt64 ?? 0) + 1;

    private static BsonValue Ticks(DateTimeOffset? at) => at is { } t ? new BsonValue(t.UtcTicks) : BsonValue.Null;

    private static DateTimeOffset? At(BsonValue v) => v.IsNull ? null : new DateTimeOffset(v.AsInt64, TimeSpan.Zero);

    private static string FailuresId(SignInRealm realm, string account) => $"{(int)realm}|{account}";

    private static SignInFailures ReadFailures(BsonDocument d) =>
        new([.. d["f"].AsArray.Select(t => new DateTimeOffset(t.AsInt64, TimeSpan.Zero))], At(d["lk"]));

    private static AuditEntry ReadAudit(BsonDocument d) => new(
        d["_id"].AsInt64, new DateTimeOffset(d["at"].AsInt64, TimeSpan.Zero), d["op"].AsString, d["sc"].AsString, d["m"].AsString, d["r"].AsString,
        d["st"].AsInt32, [.. d["sub"].AsArray.Select(s => s.AsString)]);

    private static CityNotice ReadNotice(BsonDocument d) => new(
        d["_id"].AsInt64, (NoticeKind)d["kind"].AsInt32, d["t"].AsString, d["b"].AsString, new DateTimeOffset(d["at"].AsInt64, TimeSpan.Zero),
        At(d["until"]), d["by"].AsString, At(d["wd"]));

    private static byte[] Prefix(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key))[..PrefixBytes];

    private static byte[] PagingKey(byte[] prefix, long id)
    {
        var key = new byte[PrefixBytes + 8];
        prefix.CopyTo(key, 0);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(PrefixBytes), id);
        return key;
    }
}
