using System.Data;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Web.MyPage;
using Maebashi.Edge.Ingest.Web.Notices;
using Npgsql;
using NpgsqlTypes;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresMapping;
using static Maebashi.Edge.Ingest.Store.Postgres.PostgresQueries;

namespace Maebashi.Edge.Ingest.Store.Postgres;

/// <summary>
/// The web's shared state (<see cref="IConsoleStateStore"/>) on PostgreSQL (Schema/0003_console_state.sql): each change is
/// one transaction, and what two workers may do at once is serialized by a row lock or a transaction-scoped advisory
/// lock, never by a lock in this process.
/// </summary>
public sealed partial class PostgresIngestStore
{
    /// <summary>Serializes posting notices (the bound on those kept) and replacing the operators across workers.</summary>
    private const string NoticesLock = "SELECT pg_advisory_xact_lock(hashtextextended('maebashi.notices', 0))";

    private const string OperatorsLock = "SELECT pg_advisory_xact_lock(hashtextextended('maebashi.operators', 0))";

    private const string AuditColumns = "id, at, operator, scope, method, route, status, subjects";

    private const string NoticeColumns = "id, kind, title, body, posted_at, until, posted_by, withdrawn_at";

    public void AppendAudit(AuditRecord record) => InTransaction((c, tx) =>
    {
        InsertAudit(c, tx, record);
        return true;
    });

    public AuditPage AuditPage(long? before, int take, string? operatorName)
    {
        long end = before ?? long.MaxValue;
        if (end <= 1 || take <= 0)
        {
            return new AuditPage([], null);
        }

        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = operatorName is null
            ? Command(c, null, $"SELECT {AuditColumns} FROM audit WHERE id < $1 ORDER BY id DESC LIMIT $2", Long(end), Int(take + 1))
            : Command(c, null, $"SELECT {AuditColumns} FROM audit WHERE operator = $3 AND id < $1 ORDER BY id DESC LIMIT $2", Long(end), Int(take + 1), Text(operatorName));
        List<AuditEntry> found = List(cmd, ReadAudit);
        return new AuditPage([.. found.Take(take)], found.Count > take ? found[take - 1].Id : null);
    }

    public IReadOnlyList<AuditEntry> AuditAbout(IReadOnlyCollection<string> subjects, int take)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, $"""
            SELECT {AuditColumns} FROM audit WHERE id IN (
                SELECT DISTINCT id FROM audit_subjects WHERE subject = ANY($1) ORDER BY id DESC LIMIT $2)
            ORDER BY id DESC
            """, Array(subjects.ToArray(), NpgsqlDbType.Text), Int(take));
        return List(cmd, ReadAudit);
    }

    public void ReplaceOperators(IReadOnlyList<Operator> operators) => InTransaction((c, tx) =>
    {
        Execute(c, tx, OperatorsLock);
        Execute(c, tx, "DELETE FROM operators");
        using (NpgsqlCommand insert = Command(c, tx, """
            INSERT INTO operators (name, scope, token, password_hash) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
            """,
            Array(operators.Select(o => o.Name).ToArray(), NpgsqlDbType.Text),
            Array(operators.Select(o => o.Scope).ToArray(), NpgsqlDbType.Text),
            Array(operators.Select(o => o.Token).ToArray(), NpgsqlDbType.Text),
            Array(operators.Select(o => o.PasswordHash).ToArray(), NpgsqlDbType.Text)))
        {
            insert.ExecuteNonQuery();
        }

        using NpgsqlCommand forget = Command(c, tx, "DELETE FROM signin_failures WHERE realm = $1 AND account <> ALL($2)",
            Short(SignInRealm.Operator), Array(operators.Select(o => o.Name).ToArray(), NpgsqlDbType.Text));
        forget.ExecuteNonQuery();
        return true;
    });

    public IReadOnlyList<Operator> Operators()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT name, token, scope, password_hash FROM operators ORDER BY name");
        return List(cmd, r => new Operator(r.GetString(0), OptText(r, 1), r.GetString(2), OptText(r, 3)));
    }

    public SignInFailures? SignInFailuresOf(SignInRealm realm, string account)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return Failures(c, null, realm, account, forUpdate: false);
    }

    /// <remarks>
    /// The row is inserted empty when missing, then locked (SELECT … FOR UPDATE): a second worker counting a failure of
    /// the same account waits, then reads what the first committed.
    /// </remarks>
    public SignInFailures? ChangeSignInFailures(SignInRealm realm, string account, Func<SignInFailures?, SignInFailures?> change) => InTransaction((c, tx) =>
    {
        using (NpgsqlCommand ensure = Command(c, tx, "INSERT INTO signin_failures (realm, account, failures) VALUES ($1, $2, '{}') ON CONFLICT DO NOTHING",
            Short(realm), Text(account)))
        {
            ensure.ExecuteNonQuery();
        }

        SignInFailures? next = change(Failures(c, tx, realm, account, forUpdate: true));
        using NpgsqlCommand write = next is null
            ? Command(c, tx, "DELETE FROM signin_failures WHERE realm = $1 AND account = $2", Short(realm), Text(account))
            : Command(c, tx, "UPDATE signin_failures SET failures = $3, locked_at = $4 WHERE realm = $1 AND account = $2",
                Short(realm), Text(account), Array(next.Failures.Select(t => t.UtcTicks).ToArray(), NpgsqlDbType.Bigint), Long(next.LockedAt?.UtcTicks));
        write.ExecuteNonQuery();
        return next;
    });

    public IReadOnlyDictionary<string, DateTimeOffset> LockedAccounts(SignInRealm realm, DateTimeOffset lockedAfter)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "SELECT account, locked_at FROM signin_failures WHERE realm = $1 AND locked_at > $2",
            Short(realm), Long(lockedAfter.UtcTicks));
        return List(cmd, r => (r.GetString(0), At(r.GetInt64(1)))).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
    }

    public CitizenAccount? Citizen(string login)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return CitizenOf(c, null, login);
    }

    public void PutEnrollment(PendingEnrollment code, DateTimeOffset now) => InTransaction((c, tx) =>
    {
        InsertEnrollment(c, tx, code, now);
        return true;
    });

    public PendingEnrollment? Enrollment(string codeHash)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        return EnrollmentOf(c, null, codeHash, forUpdate: false);
    }

    /// <remarks>
    /// The code's row is locked first: a second worker redeeming the same code waits, and once the first commits its
    /// SELECT … FOR UPDATE finds the row gone (read committed re-reads a row that changed while it waited). A login
    /// taken by another person's enrollment at the same moment breaks the unique key: LoginTaken, the code kept.
    /// </remarks>
    public EnrollOutcome RedeemEnrollment(string codeHash, string login, string passwordHash, DateTimeOffset now, Func<string, string?> resolvePid)
    {
        try
        {
            return InTransaction((c, tx) =>
            {
                if (EnrollmentOf(c, tx, codeHash, forUpdate: true) is not { } pending || pending.ExpiresAt <= now || resolvePid(pending.Token) is not { } pid)
                {
                    return EnrollOutcome.BadCode;
                }

                if (CitizenOf(c, tx, login) is { } taken && taken.Pid != pid)
                {
                    return EnrollOutcome.LoginTaken;
                }

                using (NpgsqlCommand use = Command(c, tx, "DELETE FROM enrollment_codes WHERE code_hash = $1", Text(codeHash)))
                {
                    use.ExecuteNonQuery();
                }

                PutCitizen(c, tx, new CitizenAccount(login, passwordHash, pid, now));
                return EnrollOutcome.Enrolled;
            });
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return EnrollOutcome.LoginTaken;
        }
    }

    public IReadOnlyList<CityNotice> Notices()
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {NoticeColumns} FROM notices ORDER BY id DESC");
        return List(cmd, ReadNotice);
    }

    public CityNotice? PostNotice(CityNotice notice, int maxKept) => InTransaction((c, tx) =>
    {
        Execute(c, tx, NoticesLock);
        List<CityNotice> kept;
        using (NpgsqlCommand all = Command(c, tx, $"SELECT {NoticeColumns} FROM notices ORDER BY id"))
        {
            kept = List(all, ReadNotice);
        }

        var gone = new List<long>();
        while (kept.Count >= maxKept && kept.FindIndex(n => !n.IsShownAt(notice.PostedAt)) is var oldest and >= 0)
        {
            gone.Add(kept[oldest].Id);
            kept.RemoveAt(oldest);
        }

        if (kept.Count >= maxKept)
        {
            return null;
        }

        using (NpgsqlCommand drop = Command(c, tx, "DELETE FROM notices WHERE id = ANY($1)", Array(gone.ToArray(), NpgsqlDbType.Bigint)))
        {
            drop.ExecuteNonQuery();
        }

        return InsertNotice(c, tx, notice);
    });

    public bool WithdrawNotice(long id, DateTimeOffset at)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlCommand cmd = Command(c, null, "UPDATE notices SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL", Long(id), Long(at.UtcTicks));
        return cmd.ExecuteNonQuery() == 1;
    }

    public bool ImportWebState(WebStateImport import, string doneKey, string? doneBefore, string doneValue) => InTransaction((c, tx) =>
    {
        if (MetaForUpdate(c, tx, doneKey) != doneBefore)
        {
            return false;
        }

        foreach (AuditRecord r in import.Audit)
        {
            InsertAudit(c, tx, r);
        }

        foreach (CitizenAccount a in import.Citizens)
        {
            PutCitizen(c, tx, a);
        }

        foreach (PendingEnrollment e in import.Enrollments)
        {
            InsertEnrollment(c, tx, e, DateTimeOffset.MinValue);
        }

        Execute(c, tx, NoticesLock);
        foreach (CityNotice n in import.Notices.OrderBy(n => n.Id))
        {
            InsertNotice(c, tx, n);
        }

        using NpgsqlCommand meta = Command(c, tx, "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            Text(doneKey), Text(doneValue));
        meta.ExecuteNonQuery();
        return true;
    });

    private T InTransaction<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work)
    {
        using NpgsqlConnection c = _source.OpenConnection();
        using NpgsqlTransaction tx = c.BeginTransaction(IsolationLevel.ReadCommitted);
        T result = work(c, tx);
        tx.Commit();
        return result;
    }

    private static void Execute(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using NpgsqlCommand cmd = Command(c, tx, sql);
        cmd.ExecuteNonQuery();
    }

    private static NpgsqlParameter Short(SignInRealm realm) => new() { NpgsqlDbType = NpgsqlDbType.Smallint, Value = (short)realm };

    private static void InsertAudit(NpgsqlConnection c, NpgsqlTransaction tx, AuditRecord r)
    {
        using NpgsqlCommand cmd = Command(c, tx, """
            WITH a AS (
                INSERT INTO audit (at, operator, scope, method, route, status, subjects) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id)
            INSERT INTO audit_subjects (subject, id) SELECT DISTINCT s, a.id FROM a, unnest($7::text[]) AS s
            """,
            Long(r.At.UtcTicks), Text(r.Operator), Text(r.Scope), Text(r.Method), Text(r.Route), Int(r.Status), Array(r.Subjects.ToArray(), NpgsqlDbType.Text));
        cmd.ExecuteNonQuery();
    }

    private static SignInFailures? Failures(NpgsqlConnection c, NpgsqlTransaction? tx, SignInRealm realm, string account, bool forUpdate)
    {
        using NpgsqlCommand cmd = Command(c, tx, "SELECT failures, locked_at FROM signin_failures WHERE realm = $1 AND account = $2" + (forUpdate ? " FOR UPDATE" : ""),
            Short(realm), Text(account));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        long[] failures = r.GetFieldValue<long[]>(0);
        DateTimeOffset? locked = At(r, 1);

        // A row inserted empty by a change that then forgot the account is no count at all.
        return failures.Length == 0 && locked is null ? null : new SignInFailures([.. failures.Select(At)], locked);
    }

    private static CitizenAccount? CitizenOf(NpgsqlConnection c, NpgsqlTransaction? tx, string login)
    {
        using NpgsqlCommand cmd = Command(c, tx, "SELECT login, password_hash, pid, created_at FROM citizens WHERE login = $1", Text(login));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? new CitizenAccount(r.GetString(0), r.GetString(1), r.GetString(2), At(r.GetInt64(3))) : null;
    }

    /// <summary>The person's account under its login, replacing any other account of the person (one account per person).</summary>
    private static void PutCitizen(NpgsqlConnection c, NpgsqlTransaction tx, CitizenAccount a)
    {
        // Two statements: a data-modifying WITH runs beside its INSERT, which would still meet the rows it deletes.
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand("DELETE FROM citizens WHERE pid = $1 OR login = $2", Text(a.Pid), Text(a.Login)));
        batch.BatchCommands.Add(BatchCommand("INSERT INTO citizens (login, password_hash, pid, created_at) VALUES ($1, $2, $3, $4)",
            Text(a.Login), Text(a.PasswordHash), Text(a.Pid), Long(a.CreatedAt.UtcTicks)));
        batch.ExecuteNonQuery();
    }

    private static PendingEnrollment? EnrollmentOf(NpgsqlConnection c, NpgsqlTransaction? tx, string codeHash, bool forUpdate)
    {
        using NpgsqlCommand cmd = Command(c, tx, "SELECT code_hash, token, expires_at FROM enrollment_codes WHERE code_hash = $1" + (forUpdate ? " FOR UPDATE" : ""),
            Text(codeHash));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        return r.Read() ? new PendingEnrollment(r.GetString(0), r.GetString(1), At(r.GetInt64(2))) : null;
    }

    /// <summary>A code replaces the card's pending one (the unique key on the token); codes expired by now go.</summary>
    private static void InsertEnrollment(NpgsqlConnection c, NpgsqlTransaction tx, PendingEnrollment code, DateTimeOffset now)
    {
        using var batch = new NpgsqlBatch(c, tx);
        batch.BatchCommands.Add(BatchCommand("DELETE FROM enrollment_codes WHERE expires_at <= $1", Long(now.UtcTicks)));
        batch.BatchCommands.Add(BatchCommand("""
            INSERT INTO enrollment_codes (code_hash, token, expires_at) VALUES ($1, $2, $3)
            ON CONFLICT (token) DO UPDATE SET code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at
            """, Text(code.CodeHash), Text(code.Token), Long(code.ExpiresAt.UtcTicks)));
        batch.ExecuteNonQuery();
    }

    private static CityNotice InsertNotice(NpgsqlConnection c, NpgsqlTransaction tx, CityNotice n)
    {
        using NpgsqlCommand cmd = Command(c, tx, """
            INSERT INTO notices (kind, title, body, posted_at, until, posted_by, withdrawn_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """,
            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Smallint, Value = (short)n.Kind }, Text(n.Title), Text(n.Body), Long(n.PostedAt.UtcTicks),
            Long(n.Until?.UtcTicks), Text(n.PostedBy), Long(n.WithdrawnAt?.UtcTicks));
        return n with { Id = (long)cmd.ExecuteScalar()! };
    }

    private static AuditEntry ReadAudit(NpgsqlDataReader r) => new(
        r.GetInt64(0), At(r.GetInt64(1)), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetFieldValue<string[]>(7));

    private static CityNotice ReadNotice(NpgsqlDataReader r) => new(
        r.GetInt64(0), (NoticeKind)r.GetInt16(1), r.GetString(2), r.GetString(3), At(r.GetInt64(4)), At(r, 5), r.GetString(6), At(r, 7));
}
