using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// Re-evaluates one person inside a unit of work: reads the person's facts from the store, runs the rules,
/// and writes the new state, the wallet entries (the diff against the stored postings), check-ins and
/// participations.
/// </summary>
internal sealed class PersonEvaluator(CityRegistry registry, WalletEvaluator evaluate)
{
    public WalletView Evaluate(IIngestWrite w, string pid, DateTimeOffset now, DebtChanges debts)
    {
        PersonEntry person = registry.FindPerson(pid) ?? throw new InvalidOperationException("a card names a person the registry does not hold");
        PersonState? old = w.GetPersonForUpdate(pid);
        IReadOnlyList<TapRecord> taps = w.TapsOfPerson(pid);

        // trip_ends of the vehicles the person boarded, within the 180 minutes after each board.
        var tripEnds = new Dictionary<(string, ulong), StoredTap>();
        foreach (IGrouping<string, TapRecord> g in taps.Where(t => t.Type == EventTypes.Board && t.Vehicle is not null).GroupBy(t => t.Vehicle!))
        {
            DateTimeOffset from = g.Min(t => t.At);
            DateTimeOffset to = g.Max(t => t.At) + RuleWindows.Trip;
            foreach (TapRecord te in w.TripEnds(g.Key, from, to))
            {
                tripEnds[(te.Device, te.Seq)] = te.ToStoredTap();
            }
        }

        var history = new PersonHistory
        {
            Person = person,
            Taps = taps.Select(t => t.ToStoredTap()).ToList(),
            TripEnds = [.. tripEnds.Values],
            TopUps = w.TopUpsOf(pid),
        };
        WalletView view = evaluate(registry, history, now);

        PersonState state = ToState(pid, view, (old?.Revision ?? 0) + 1);
        List<WalletEntry> entries = [.. PostingDiff.Changes(old?.Postings ?? [], view.Postings)
            .Select(c => new WalletEntry(pid, c.Key, c.Kind, c.Value, c.Points, c.Source, c.At, now, c.Description, c.IsAdjustment))];
        string welfareId = registry.SectorIdFor(pid, SectorId.Welfare);
        w.PutPerson(
            state,
            entries,
            [.. view.CheckIns.Select(c => new CheckInRecord(pid, c.Clinic, c.Date, c.PatientNo, c.Queue, c.ChildMedicalSubsidy, c.At))],
            [.. view.Participations.Select(p => new ParticipationRecord(pid, p.Event, p.Sector, welfareId, p.In, p.Out, p.Points))]);

        debts.Record(pid, old?.InDebt ?? false, view.InDebt);
        return view;
    }

    /// <summary>The wallet as the rules see a person with no facts yet (opening value and points).</summary>
    public PersonState Untouched(string pid, DateTimeOffset now)
    {
        PersonEntry person = registry.FindPerson(pid) ?? throw new InvalidOperationException("card of an unknown person");
        WalletView v = evaluate(registry, new PersonHistory { Person = person, Taps = [], TripEnds = [], TopUps = [] }, now);
        return ToState(pid, v, 0);
    }

    // NextCloseAt is the view's ReviewAt: when the clock alone can change the view (an open trip closing at board + 180 min).
    private static PersonState ToState(string pid, WalletView v, long revision) =>
        new(pid, v.Value, v.Points, v.PointsBus, v.PointsVolunteer, v.PointsHealth, v.InDebt, v.ReviewAt, v.Trips, v.Postings, revision);
}
