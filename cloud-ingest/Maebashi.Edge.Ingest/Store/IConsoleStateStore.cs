using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Web.MyPage;
using Maebashi.Edge.Ingest.Web.Notices;

namespace Maebashi.Edge.Ingest.Store;

// The web's shared state (issue 14 item 2): what the console and My Page write, kept in the store so that every
// ingest worker on one PostgreSQL sees every worker's changes (the LiteDB store keeps the same shape in its file).
// Rules every implementation keeps:
// - Each method is one atomic, durable unit of its own (never part of an IIngestStore.Write unit).
// - The audit log is append-only: records are never changed or dropped, and read a page at a time by a keyset on a
//   rising id (newest first), never by scanning the log.
// - A sign-in failure count is changed read-modify-write under the row's lock (PostgreSQL: SELECT … FOR UPDATE), so
//   failures counted by two workers at once both count.
// - An enrollment code is redeemed in one transaction that takes the code's row lock, deletes the code and writes the
//   account: of two workers redeeming one code, the second finds no code.
// - Notices are posted under one lock (PostgreSQL: a transaction-scoped advisory lock), so the bound on notices kept
//   holds whichever worker posts.
// In PostgreSQL terms: Schema/0004_console_state.sql.

/// <summary>Whose sign-in failures a count is: an operator's (console) or a citizen's (My Page); they never lock each other out.</summary>
public enum SignInRealm
{
    Operator = 1,
    Citizen = 2,
}

/// <summary>An account's recent failed sign-ins (at most the number that matters) and when it locked, if it did.</summary>
public sealed record SignInFailures(IReadOnlyList<DateTimeOffset> Failures, DateTimeOffset? LockedAt);

/// <summary>One line of the audit log as written: who (operator and scope), what (method, route, status), whose (subjects), when.</summary>
public sealed record AuditRecord(DateTimeOffset At, string Operator, string Scope, string Method, string Route, int Status, IReadOnlyList<string> Subjects);

/// <summary>What a data directory of an older ingest held in its JSON files, imported once into the store (<c>Hosting/LegacyWebStateImport</c>).</summary>
public sealed record WebStateImport(
    IReadOnlyList<AuditRecord> Audit,
    IReadOnlyList<CitizenAccount> Citizens,
    IReadOnlyList<PendingEnrollment> Enrollments,
    IReadOnlyList<CityNotice> Notices);

/// <summary>The console's and My Page's state (see the comment above): <see cref="IIngestStore"/> inherits it.</summary>
public interface IConsoleStateStore
{
    /// <summary>Appends one record to the audit log; durable on return.</summary>
    void AppendAudit(AuditRecord record);

    /// <summary>
    /// A page of the audit log, newest first: at most <paramref name="take"/> records with an id below
    /// <paramref name="before"/> (null: from the newest), only <paramref name="operatorName"/>'s when given.
    /// </summary>
    AuditPage AuditPage(long? before, int take, string? operatorName);

    /// <summary>The newest <paramref name="take"/> records naming any of <paramref name="subjects"/>, newest first.</summary>
    IReadOnlyList<AuditEntry> AuditAbout(IReadOnlyCollection<string> subjects, int take);

    /// <summary>
    /// Makes <paramref name="operators"/> the store's operators, in one unit: others are removed with their failure
    /// counts; the counts of those that stay are kept.
    /// </summary>
    void ReplaceOperators(IReadOnlyList<Operator> operators);

    /// <summary>The store's operators, by name.</summary>
    IReadOnlyList<Operator> Operators();

    /// <summary>The account's failures, or null when none are counted.</summary>
    SignInFailures? SignInFailuresOf(SignInRealm realm, string account);

    /// <summary>
    /// Replaces the account's failures by what <paramref name="change"/> makes of them (null in: none counted; null out:
    /// forget them), atomically against every worker; returns what was stored.
    /// </summary>
    SignInFailures? ChangeSignInFailures(SignInRealm realm, string account, Func<SignInFailures?, SignInFailures?> change);

    /// <summary>The accounts of the realm that locked after <paramref name="lockedAfter"/>, with when.</summary>
    IReadOnlyDictionary<string, DateTimeOffset> LockedAccounts(SignInRealm realm, DateTimeOffset lockedAfter);

    /// <summary>The citizen account of that login name, or null.</summary>
    CitizenAccount? Citizen(string login);

    /// <summary>Stores a code, replacing any code pending for its card, and drops the codes expired at <paramref name="now"/>.</summary>
    void PutEnrollment(PendingEnrollment code, DateTimeOffset now);

    /// <summary>The pending code of that hash, or null.</summary>
    PendingEnrollment? Enrollment(string codeHash);

    /// <summary>
    /// Uses the code once, in one transaction: when it is pending, unexpired at <paramref name="now"/>, and its card's
    /// person (<paramref name="resolvePid"/>) is known, the person's account becomes <paramref name="login"/> with
    /// <paramref name="passwordHash"/> (replacing any account they had) and the code is gone; a login held by
    /// another person leaves the code pending.
    /// </summary>
    EnrollOutcome RedeemEnrollment(string codeHash, string login, string passwordHash, DateTimeOffset now, Func<string, string?> resolvePid);

    /// <summary>Every notice kept (at most the bound <see cref="PostNotice"/> keeps), newest first.</summary>
    IReadOnlyList<CityNotice> Notices();

    /// <summary>
    /// Posts <paramref name="notice"/> (its id is the store's to give): while <paramref name="maxKept"/> are kept, the
    /// oldest no longer shown at its posting time go first; null when all of them are still shown.
    /// </summary>
    CityNotice? PostNotice(CityNotice notice, int maxKept);

    /// <summary>Withdraws a notice not withdrawn yet; false when there is no such notice.</summary>
    bool WithdrawNotice(long id, DateTimeOffset at);

    /// <summary>
    /// Writes what an older ingest's files held and sets meta <paramref name="doneKey"/> to <paramref name="doneValue"/>,
    /// in one unit: an import cut short is done again, never half. Nothing is written, and the answer is false, unless
    /// the key still holds <paramref name="doneBefore"/> (read in the unit, the key locked): of workers importing one
    /// file at once, one writes each step.
    /// </summary>
    bool ImportWebState(WebStateImport import, string doneKey, string? doneBefore, string doneValue);
}
