using System.Text.Json;
using Maebashi.Edge.Ingest.Http;

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
/// Citizen accounts and pending enrollment codes, in <c>citizens.json</c> under the data directory, rewritten whole
/// (to a temporary file, flushed to disk, then renamed over the old) on every change, so a crash leaves the old or the
/// new file. Bounded: one account per person (a new enrollment replaces the person's account, which is how a
/// forgotten password is reset) and one pending code per card (a new code replaces the old); expired codes are
/// dropped on every write. The PID never leaves this class except to the My Page queries.
/// </summary>
public sealed class CitizenAccounts
{
    public const string FileName = "citizens.json";

    public const int MinPasswordLength = 10;

    public const int MaxLoginLength = 64;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, CitizenAccount> _byLogin;
    private readonly Dictionary<string, PendingEnrollment> _codesByHash;

    public CitizenAccounts(string dataDirectory, TimeProvider time)
    {
        _path = Path.Combine(dataDirectory, FileName);
        _time = time;
        Document doc = File.Exists(_path) ? JsonSerializer.Deserialize<Document>(File.ReadAllBytes(_path), Json) ?? new Document() : new Document();
        _byLogin = doc.Accounts.ToDictionary(a => a.Login, StringComparer.Ordinal);
        _codesByHash = doc.Codes.ToDictionary(c => c.CodeHash, StringComparer.Ordinal);
    }

    /// <summary>Issues a fresh code for the card (replacing any code pending for it); the code in clear, only this once.</summary>
    public (string Code, DateTimeOffset ExpiresAt) Issue(string token, TimeSpan lifetime)
    {
        string code = EnrollmentCode.New();
        DateTimeOffset expires = _time.GetUtcNow() + lifetime;
        lock (_lock)
        {
            foreach (string old in _codesByHash.Where(c => c.Value.Token == token).Select(c => c.Key).ToList())
            {
                _codesByHash.Remove(old);
            }

            string hash = EnrollmentCode.HashOf(EnrollmentCode.Normalize(code)!);
            _codesByHash[hash] = new PendingEnrollment(hash, token, expires);
            Save();
        }

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
    /// Uses the code (once): the card's person gets an account under <paramref name="login"/>, replacing any account
    /// they had. <paramref name="resolvePid"/> turns the code's card into its person (null: the card is gone);
    /// <paramref name="hashPassword"/> runs only for a good code, so wrong codes cost no password hashing.
    /// </summary>
    public EnrollOutcome Enroll(string? typedCode, string login, Func<string> hashPassword, Func<string, string?> resolvePid)
    {
        string? canonical = EnrollmentCode.Normalize(typedCode);
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            if (canonical is null || !_codesByHash.TryGetValue(EnrollmentCode.HashOf(canonical), out PendingEnrollment? pending)
                || pending.ExpiresAt <= now || resolvePid(pending.Token) is not { } pid)
            {
                return EnrollOutcome.BadCode;
            }

            if (_byLogin.TryGetValue(login, out CitizenAccount? taken) && taken.Pid != pid)
            {
                return EnrollOutcome.LoginTaken;
            }

            _codesByHash.Remove(pending.CodeHash);
            foreach (string old in _byLogin.Where(a => a.Value.Pid == pid).Select(a => a.Key).ToList())
            {
                _byLogin.Remove(old);
            }

            _byLogin[login] = new CitizenAccount(login, hashPassword(), pid, now);
            Save();
            return EnrollOutcome.Enrolled;
        }
    }

    public CitizenAccount? Find(string login)
    {
        lock (_lock)
        {
            return _byLogin.GetValueOrDefault(login);
        }
    }

    // Under _lock.
    private void Save()
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (string expired in _codesByHash.Where(c => c.Value.ExpiresAt <= now).Select(c => c.Key).ToList())
        {
            _codesByHash.Remove(expired);
        }

        var doc = new Document { Accounts = [.. _byLogin.Values], Codes = [.. _codesByHash.Values] };
        Store.DurableJsonFile.Write(_path, doc, Json, ownerOnly: true);
    }

    private sealed class Document
    {
        public List<CitizenAccount> Accounts { get; set; } = [];

        public List<PendingEnrollment> Codes { get; set; } = [];
    }
}
