using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Web.MyPage;

/// <summary>A citizen's My Page account: the login name they chose, the PHC hash of their password, and whose it is.</summary>
public sealed record CitizenAccount(string Login, string PasswordHash, string Pid, DateTimeOffset CreatedAt);

/// <summary>An enrollment code waiting to be used: its hash, the card it was issued for, and until when it works.</summary>
public sealed record PendingEnrollment(string CodeHash, string Token, DateTimeOffset ExpiresAt);

/// <summary>How an enrollment attempt ended.</summary>
public enum EnrollOutcome
{
    Enrolled,

    /// <summary>No such code, used already, or expired: the page does not say which.</summary>
    BadCode,

    LoginTaken,

    /// <summary>Too many wrong codes from the client address: not even looked at.</summary>
    Throttled,
}

/// <summary>
/// Citizen accounts and pending enrollment codes, in the store (<see cref="IConsoleStateStore"/>), so that a code issued
/// on one ingest worker is redeemed once on any, and an account made on one signs in on every other. Bounded: one
/// account per person (a new enrollment replaces the person's account, which is how a forgotten password is reset) and
/// one pending code per card (a new code replaces the old); expired codes are dropped whenever a code is issued. The
/// PID never leaves this class except to the My Page queries.
/// </summary>
public sealed class CitizenAccounts(IIngestStore store, TimeProvider time)
{
    /// <summary>Where an older ingest kept accounts and codes, under its data directory (imported once: <c>Hosting/LegacyWebStateImport</c>).</summary>
    public const string FileName = "citizens.json";

    public const int MinPasswordLength = 10;

    public const int MaxLoginLength = 64;

    /// <summary>Issues a fresh code for the card (replacing any code pending for it); the code in clear, only this once.</summary>
    public (string Code, DateTimeOffset ExpiresAt) Issue(string token, TimeSpan lifetime)
    {
        string code = EnrollmentCode.New();
        DateTimeOffset now = time.GetUtcNow();
        DateTimeOffset expires = now + lifetime;
        store.PutEnrollment(new PendingEnrollment(EnrollmentCode.HashOf(EnrollmentCode.Normalize(code)!), token, expires), now);
        return (code, expires);
    }

    /// <summary>Whether a login name is acceptable: 3 to 64 characters, no control characters or spaces at its ends.</summary>
    public static string? LoginProblem(string? login) =>
        string.IsNullOrEmpty(login) || login.Length < 3 || login.Length > MaxLoginLength || login.Trim() != login || login.Any(char.IsControl)
            ? "ログイン名は3〜64文字です / The login name must be 3 to 64 characters"
            : null;

    public static string? PasswordProblem(string? password) =>
        password is null || password.Length < MinPasswordLength || password.Length > PasswordHash.MaxPasswordLength
            ? $"パスワードは{MinPasswordLength}文字以上です / The password must be at least {MinPasswordLength} characters"
            : null;

    /// <summary>
    /// Uses the code (once, on whichever worker): the card's person gets an account under <paramref name="login"/>,
    /// replacing any account they had. <paramref name="resolvePid"/> turns the code's card into its person (null: the
    /// card is gone); <paramref name="hashPassword"/> runs only for a code that is pending, so wrong codes cost no
    /// password hashing, and before the store's transaction, so that no lock waits on the hashing.
    /// </summary>
    public EnrollOutcome Enroll(string? typedCode, string login, Func<string> hashPassword, Func<string, string?> resolvePid)
    {
        string? canonical = EnrollmentCode.Normalize(typedCode);
        DateTimeOffset now = time.GetUtcNow();
        if (canonical is null || store.Enrollment(EnrollmentCode.HashOf(canonical)) is not { } pending || pending.ExpiresAt <= now)
        {
            return EnrollOutcome.BadCode;
        }

        return store.RedeemEnrollment(pending.CodeHash, login, hashPassword(), now, resolvePid);
    }

    public CitizenAccount? Find(string login) => store.Citizen(login);
}
