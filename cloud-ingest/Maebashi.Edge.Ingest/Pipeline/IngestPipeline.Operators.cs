using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Ingest.Pipeline;

// What operators and the clock change, each in a unit of its own under the pipeline's lock: top-ups and adjustments,
// cards' run-time statuses, trips the clock closes; and the wallet as stored.
public sealed partial class IngestPipeline
{
    /// <summary>
    /// An operator's top-up (idempotent by receipt, docs/contract.md §3) or adjustment (idempotent by request id):
    /// the same id again with the same card and body is a duplicate that changes nothing, with anything else a conflict.
    /// </summary>
    public ChargeOutcome ApplyValueChange(CardEntry card, long amount, string id, ValueChangeKind kind, string? reason = null, string? note = null)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var change = new ValueChange(id, amount, now, kind, reason, note);
        lock (_gate)
        {
            (ChargeOutcome outcome, UnitState unit) = _store.Write(w =>
            {
                var unit = new UnitState();
                if (w.FindValueChange(change.Key) is { } existing)
                {
                    return (Repeated(w, existing), unit);
                }

                if (!w.TryAddValueChange(card.Pid, change))
                {
                    // Another worker stored the same id after this unit looked (its insert waited for that commit).
                    return (Repeated(w, w.FindValueChange(change.Key) ?? throw new InvalidOperationException($"value change {change.Key}: refused as stored, then not found")), unit);
                }

                WalletView view = _persons.Evaluate(w, card.Pid, now, unit.Deny, WalletRules.ReplayFrom(change));
                FinishUnit(w, unit);
                return (new ChargeOutcome(ChargeStatus.Applied, view.Value, view.Points), unit);
            });
            AfterCommit(unit);
            return outcome;
        }

        // The id was used before: the same card and body is a duplicate, anything else a conflict; the wallet as stored.
        ChargeOutcome Repeated(IIngestWrite w, (string Pid, ValueChange Change) existing)
        {
            PersonState? s = w.GetPersonForUpdate(existing.Pid);
            ValueChange was = existing.Change;
            bool same = existing.Pid == card.Pid && was.Amount == amount && was.Reason == reason && was.Note == note;
            return new ChargeOutcome(same ? ChargeStatus.Duplicate : ChargeStatus.Conflict, s?.Value ?? 0, s?.Points ?? 0);
        }
    }

    /// <summary>The card's run-time status (<see cref="CardRunStatus"/>), or null when it has none.</summary>
    public CardStatusEntry? CardStatusOf(string token)
    {
        lock (_gate)
        {
            return _denyList.StatusOf(token);
        }
    }

    /// <summary>
    /// Sets the card's run-time status, or clears it with null: durable with the next deny-list version, which is
    /// published at once. Setting the status a card already has, or clearing none, changes nothing.
    /// </summary>
    public CardStatusOutcome SetCardStatus(string token, CardRunStatus? status)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_store.Write(w => _denyList.StageStatus(w, token, status, now)) is not { } version)
            {
                return new CardStatusOutcome(false, _denyList.Version);
            }

            DenyList list = _denyList.Current();
            _logger.LogInformation("Deny list version {Version}: {Count} tokens (a card's status {Change})", list.Version, list.Tokens.Count, status is null ? "cleared" : "set");
            DenyListChanged?.Invoke(list);
            return new CardStatusOutcome(true, version);
        }
    }

    /// <summary>Closes trips left open past board + 180 minutes by re-evaluating their persons; returns how many.</summary>
    public int CloseDueTrips()
    {
        DateTimeOffset now = _time.GetUtcNow();
        IReadOnlyList<string> due = _store.PersonsDueForClose(now);
        foreach (string[] chunk in due.Chunk(200))
        {
            lock (_gate)
            {
                UnitState unit = _store.Write(w =>
                {
                    var u = new UnitState();
                    foreach (string pid in chunk)
                    {
                        // No new fact: the evaluator goes back to the day of the trip the clock closes.
                        _persons.Evaluate(w, pid, now, u.Deny, DateOnly.MaxValue);
                    }

                    FinishUnit(w, u);
                    return u;
                });
                AfterCommit(unit);
            }
        }

        return due.Count;
    }

    /// <summary>The person's wallet as stored, or as the rules see an untouched person (opening value and points).</summary>
    public PersonState WalletOf(string pid)
    {
        if (_store.GetPerson(pid) is { } s)
        {
            return s;
        }

        return _persons.Untouched(pid, _time.GetUtcNow());
    }
}
