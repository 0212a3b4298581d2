using System.Security.Claims;
using System.Security.Cryptography;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Http;

namespace Maebashi.Edge.Ingest.Web.MyPage;

/// <summary>
/// Checks a citizen's sign-in and enrollment under a throttle of their own (the operators' rules, <see cref="SignInThrottle"/>, kept in the store,
/// with a separate count so that citizens and operators never lock each other out). A wrong enrollment code counts as
/// a failure of the client address, which bounds guessing codes.
/// </summary>
public sealed class CitizenSignIn(CitizenAccounts accounts, IIngestStore store, TimeProvider time)
{
    private static readonly Lazy<string> DecoyHash = new(() => PasswordHash.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    public SignInThrottle Throttle { get; } = new(time, store, SignInRealm.Citizen);

    public (SignInOutcome Outcome, ClaimsPrincipal? User) Attempt(string? login, string? password, string clientAddress)
    {
        CitizenAccount? account = string.IsNullOrEmpty(login) ? null : accounts.Find(login);
        switch (Throttle.Check(account?.Login, clientAddress))
        {
            case SignInRefusal.AccountLocked:
                return (SignInOutcome.Locked, null);
            case SignInRefusal.AddressThrottled:
                return (SignInOutcome.Throttled, null);
        }

        if (!PasswordHash.Verify(password ?? "", account?.PasswordHash ?? DecoyHash.Value) || account is null)
        {
            return (Throttle.RecordFailure(account?.Login, clientAddress) ? SignInOutcome.Locked : SignInOutcome.Wrong, null);
        }

        Throttle.RecordSuccess(account.Login);
        return (SignInOutcome.SignedIn, Principal(account.Login));
    }

    /// <summary>An enrollment: the code once, under the address throttle; the password hashed as operators' are.</summary>
    public EnrollOutcome Enroll(string? code, string login, string password, string clientAddress, Func<string, string?> resolvePid)
    {
        if (Throttle.Check(null, clientAddress) == SignInRefusal.AddressThrottled)
        {
            return EnrollOutcome.Throttled;
        }

        EnrollOutcome outcome = accounts.Enroll(code, login, () => PasswordHash.Hash(password), resolvePid);
        if (outcome == EnrollOutcome.BadCode)
        {
            Throttle.RecordFailure(null, clientAddress);
        }

        return outcome;
    }

    /// <summary>The session's principal carries the login name only: the person is looked up per request, never put in the cookie.</summary>
    public static ClaimsPrincipal Principal(string login) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, login)], MyPageHosting.SchemeName));
}
