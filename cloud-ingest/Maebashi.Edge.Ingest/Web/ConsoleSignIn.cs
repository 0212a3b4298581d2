using System.Security.Claims;
using System.Security.Cryptography;
using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Http;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>How a console sign-in attempt ended.</summary>
public enum SignInOutcome
{
    SignedIn,

    /// <summary>Unknown name or wrong password: the page does not say which.</summary>
    Wrong,

    Locked,

    Throttled,
}

/// <summary>
/// Checks a console sign-in (name and password against the operators file) under the throttle, and audits it.
/// An unknown name costs the same hashing as a known one, so the time taken does not tell names apart.
/// </summary>
public sealed class ConsoleSignIn(OperatorDirectory operators, SignInThrottle throttle, AuditLog audit)
{
    public const string Route = "/console/signin";

    private static readonly Lazy<string> DecoyHash = new(() => PasswordHash.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    public (SignInOutcome Outcome, ClaimsPrincipal? User) Attempt(string? name, string? password, string clientAddress)
    {
        Operator? op = string.IsNullOrEmpty(name) ? null : operators.FindByName(name);
        switch (throttle.Check(op?.Name, clientAddress))
        {
            case SignInRefusal.AccountLocked:
                return Audited(op, SignInOutcome.Locked, StatusCodes.Status423Locked);
            case SignInRefusal.AddressThrottled:
                return Audited(op, SignInOutcome.Throttled, StatusCodes.Status429TooManyRequests);
        }

        bool right = PasswordHash.Verify(password ?? "", op?.PasswordHash ?? DecoyHash.Value) && op?.PasswordHash is not null;
        if (!right)
        {
            bool lockedNow = throttle.RecordFailure(op?.Name, clientAddress);
            return Audited(op, lockedNow ? SignInOutcome.Locked : SignInOutcome.Wrong, lockedNow ? StatusCodes.Status423Locked : StatusCodes.Status401Unauthorized);
        }

        throttle.RecordSuccess(op!.Name);
        audit.Record(op.Name, op.Scope, "POST", Route, StatusCodes.Status200OK, []);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, op.Name), new Claim(OperatorClaims.Scope, op.Scope)],
            ConsoleCookie.SchemeName);
        return (SignInOutcome.SignedIn, new ClaimsPrincipal(identity));
    }

    private (SignInOutcome, ClaimsPrincipal?) Audited(Operator? op, SignInOutcome outcome, int status)
    {
        // Only a name the file knows is written: what was typed into the name field may be anything, even a password.
        audit.Record(op?.Name ?? "", op?.Scope ?? "", "POST", Route, status, []);
        return (outcome, null);
    }
}
