using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// An operator's change to a card's value as the API and the console's forms receive it: checked here, in one place,
/// so a form and a script get the same answer for the same input.
/// </summary>
public sealed record ValueChangeRequest(ValueChangeKind Kind, string Id, long Amount, string? Reason, string? Note)
{
    public const long MaxAmount = 1_000_000;
    public const int MaxIdLength = 100;
    public const int MaxNoteLength = 500;

    /// <summary>What is wrong with the request, naming the field, or null when it may be applied.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Id) || Id.Length > MaxIdLength || Id.Any(char.IsControl))
        {
            return Kind == ValueChangeKind.TopUp
                ? $"receipt: expected a receipt id of 1 to {MaxIdLength} characters"
                : $"id: expected a request id of 1 to {MaxIdLength} characters";
        }

        if (Kind == ValueChangeKind.TopUp)
        {
            return Amount is <= 0 or > MaxAmount ? "amount: expected whole yen between 1 and 1,000,000" : null;
        }

        if (Amount == 0 || Amount > MaxAmount || Amount < -MaxAmount)
        {
            return "amount: expected signed whole yen, not 0, between -1,000,000 and 1,000,000";
        }

        if (!AdjustmentReasons.IsKnown(Reason))
        {
            return $"reason: expected one of {string.Join(", ", AdjustmentReasons.All)}";
        }

        if (Note is { Length: > MaxNoteLength })
        {
            return $"note: at most {MaxNoteLength} characters";
        }

        return Reason == AdjustmentReasons.Other && string.IsNullOrWhiteSpace(Note) ? "note: say what the adjustment is for when the reason is other" : null;
    }
}
