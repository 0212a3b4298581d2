using System.Security.Claims;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>One record of the audit log as the console shows it; <see cref="Id"/> rises with each record appended.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Operator, string Scope, string Method, string Route, int Status, IReadOnlyList<string> Subjects);

/// <summary>A page of the audit log, newest first; <see cref="Older"/> is the cursor (<c>before</c>) of the next page, null at the log's start.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? Older);

/// <summary>
/// Every read of a person's data by an operator, and every write from the console: one record each (operator, scope,
/// route, status, the card token or the sector IDs read, time), appended to the store (<see cref="IConsoleStateStore"/>),
/// so that every worker's reads are in the one log that any worker's console shows. Never changed, never dropped.
/// </summary>
public sealed class AuditLog(IIngestStore store, TimeProvider time)
{
    public void Record(ClaimsPrincipal user, string method, string route, int status, IReadOnlyList<string> subjects) =>
        Record(OperatorClaims.NameOf(user), OperatorClaims.ScopeOf(user), method, route, status, subjects);

    /// <summary>
    /// A record for an operator named outside a request's principal: a console sign-in (the name tried, or empty
    /// when no operator has it, since what was typed there may be anything).
    /// </summary>
    public void Record(string operatorName, string scope, string method, string route, int status, IReadOnlyList<string> subjects) =>
        store.AppendAudit(new AuditRecord(time.GetUtcNow(), operatorName, scope, method, route, status, subjects));
}
