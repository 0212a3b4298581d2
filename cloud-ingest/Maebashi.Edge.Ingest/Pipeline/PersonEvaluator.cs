using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// Re-evaluates one person inside a unit of work: from the stored checkpoint of the first service day the new
/// facts can change, reads the person's facts of that day on, runs the rules, and writes the new state, the replayed
/// days' trips and postings (the earlier days' stay as stored), the wallet entries (the diff against the stored
/// postings of the replayed days), the replayed days' check-ins and participations, and the new day checkpoints.
/// </summary>
internal sealed class PersonEvaluator(CityRegistry registry, WalletEvaluator evaluate)
{
    /// <param name="replayFrom">The first service day the new facts can change (<see cref="WalletRules.ReplayFrom(CityRegistry, StoredTap)"/>), or <see cref="DateOnly.MaxValue"/> for none.</param>
    public WalletView Evaluate(IIngestWrite w, string pid, DateTimeOffset now, DenyChanges debts, DateOnly replayFrom)
    {
        PersonEntry person = registry.FindPerson(pid) ?? throw new InvalidOperationException("a card names a person the registry does not hold");
        PersonState? old = w.GetPersonForUpdate(pid);
        if (old is null)
        {
            // Operators look a rider up by transport sector ID (console); the person's first facts index it.
            w.IndexSector(registry.SectorIdFor(pid, SectorId.Transport), pid);
        }

        // A trip still open closes by the clock (or a later fact): its fare is posted on the day it was boarded.
        if (old?.NextCloseAt is { } review && WalletRules.ServiceDay(review - RuleWindows.Trip) < replayFrom)
        {
            replayFrom = WalletRules.ServiceDay(review - RuleWindows.Trip);
        }

        DayCheckpoint? from = old is null ? null : w.CheckpointFor(pid, replayFrom);
        DateTimeOffset start = from is null ? DateTimeOffset.MinValue : WalletRules.DayStart(from.Day);
        IReadOnlyList<TapRecord> taps = w.TapsOfPerson(pid, start);

        // trip_ends of the vehicles the person boarded, within the 180 minutes after each board.
        var tripEnds = new Dictionary<(string, ulong), StoredTap>();
        foreach (IGrouping<string, TapRecord> g in taps.Where(t => t.Type == EventTypes.Board && t.Vehicle is not null).GroupBy(t => t.Vehicle!))
        {
            DateTimeOffset earliest = g.Min(t => t.At);
            DateTimeOffset latest = g.Max(t => t.At) + RuleWindows.Trip;
            foreach (TapRecord te in w.TripEnds(g.Key, earliest, latest))
            {
                tripEnds[(te.Device, te.Seq)] = te.ToStoredTap();
            }
        }

        // The trip open when the checkpoint's day started was boarded the day before: a trip_end may close it.
        if (from?.LastTrip is { OpenAtStart: true } carried)
        {
            foreach (TapRecord te in w.TripEnds(carried.Vehicle, start, carried.KeyAt + RuleWindows.Trip))
            {
                tripEnds[(te.Device, te.Seq)] = te.ToStoredTap();
            }
        }

        var history = new PersonHistory
        {
            Person = person,
            Taps = taps.Select(t => t.ToStoredTap()).ToList(),
            TripEnds = [.. tripEnds.Values],
            ValueChanges = [.. w.ValueChangesOf(pid, start)],
        };
        DayEvaluation days = evaluate(registry, history, from, now);
        WalletView view = days.View;

        // The days before the checkpoint are settled: their trips and postings stay as stored; those of the replayed
        // days are replaced, and the entries are the diff against them.
        SettledDays replayedBefore = old is null ? SettledDays.None : w.SettledFrom(pid, from?.Day ?? DateOnly.MinValue);
        PersonState state = ToState(pid, view, (old?.Revision ?? 0) + 1);
        List<WalletEntry> entries = [.. PostingDiff.Changes(replayedBefore.Postings, view.Postings)
            .Select(c => new WalletEntry(pid, c.Key, c.Kind, c.Value, c.Points, c.Source, c.At, now, c.Description, c.IsAdjustment))];
        string welfareId = registry.SectorIdFor(pid, SectorId.Welfare);
        w.PutPerson(
            state,
            new SettledDays(view.Trips, view.Postings),
            entries,
            [.. view.CheckIns.Select(c => new CheckInRecord(pid, c.Clinic, c.Date, c.PatientNo, c.Queue, c.ChildMedicalSubsidy, c.At, MyNumberVerified(taps, c.Tap)))],
            [.. view.Participations.Select(p => new ParticipationRecord(pid, p.Event, p.Sector, welfareId, p.In, p.Out, p.Points))],
            start);
        w.PutCheckpoints(pid, days.Checkpoints);

        debts.Record(pid, old?.InDebt ?? false, view.InDebt);
        return view;
    }

    /// <summary>Whether the check-in's tap was a My Number card's, verified at intake (it keeps the certificate's facts).</summary>
    private static bool MyNumberVerified(IReadOnlyList<TapRecord> taps, StoredTapRef tap) =>
        taps.Any(t => t.Jpki is not null && t.Seq == tap.Seq && t.Device == tap.Device);

    /// <summary>The wallet as the rules see a person with no facts yet (opening value and points).</summary>
    public PersonState Untouched(string pid, DateTimeOffset now)
    {
        PersonEntry person = registry.FindPerson(pid) ?? throw new InvalidOperationException("card of an unknown person");
        WalletView v = evaluate(registry, new PersonHistory { Person = person, Taps = [], TripEnds = [], ValueChanges = [] }, null, now).View;
        return ToState(pid, v, 0);
    }

    // NextCloseAt is the view's ReviewAt: when the clock alone can change the view (an open trip closing at board + 180 min).
    private static PersonState ToState(string pid, WalletView v, long revision) =>
        new(pid, v.Value, v.Points, v.PointsBus, v.PointsVolunteer, v.PointsHealth, v.InDebt, v.ReviewAt, revision);
}
