using System.Globalization;
using Maebashi.Edge.Ingest.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>Admin: the operators of the file, which of them are locked out, and the unlock (audited).</summary>
[Authorize(Policy = ScopePolicies.ConsoleAdmin)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class OperatorsModel(OperatorDirectory operators, SignInThrottle throttle, AuditLog audit) : PageModel
{
    public const string UnlockRoute = "/console/operators/unlock";

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public sealed record Row(string Name, string Scope, bool HasPassword, string? LockedAt);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public string? Message { get; private set; }

    public void OnGet() => Load();

    public IActionResult OnPostUnlock(string? name)
    {
        if (name is null || operators.FindByName(name) is null)
        {
            audit.Record(User, "POST", UnlockRoute, StatusCodes.Status404NotFound, []);
            return NotFound();
        }

        bool wasLocked = throttle.Unlock(name);
        audit.Record(User, "POST", UnlockRoute, StatusCodes.Status200OK, [name]);
        Message = wasLocked ? $"{name} のロックを解除しました / Unlocked {name}" : $"{name} はロックされていません / {name} was not locked";
        Load();
        return Page();
    }

    private void Load()
    {
        IReadOnlyDictionary<string, DateTimeOffset> locked = throttle.Locked();
        Rows =
        [
            .. operators.Operators.Select(o => new Row(
                o.Name,
                o.Scope,
                o.PasswordHash is not null,
                locked.TryGetValue(o.Name, out DateTimeOffset at) ? at.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : null)),
        ];
    }
}
