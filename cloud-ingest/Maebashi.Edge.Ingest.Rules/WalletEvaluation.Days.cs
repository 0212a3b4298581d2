using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Ingest.Rules;

// Service days: the state carried in from the checkpoint evaluated from, and a checkpoint written at the start of
// each later day with facts (where the walk stood, then — once the trips are rated and the wallet replayed —
// the balances and the final amounts of the trip carried across the boundary).
internal sealed partial class WalletEvaluation
{
    private readonly DayCheckpoint? _from;
    private readonly bool _writeCheckpoints;

    /// <summary>Where the evaluated facts start: facts before it are settled in <see cref="_from"/>.</summary>
    private readonly long _startTicks;

    private DateOnly[] _days = [];
    private long[] _dayStartTicks = [];
    private WalkMark[] _walkMarks = [];
    private Balance[] _balances = [];
    private int _walkMarked;
    private int _balancesMarked;

    private readonly record struct Balance(long Value, long Points, long Bus, long Volunteer, long Health, bool InDebt);

    /// <summary>The walk at a day's start: the last trip (open or not), taps just before, events still open, the date's check-ins.</summary>
    private readonly record struct WalkMark(int Entry, TripDraft? LastTrip, bool OpenAtStart, CarriedParticipation[] Participations, CheckIn[] CheckIns);

    /// <summary>Seeds the walk with what the checkpoint carries, and lists the days to write a checkpoint for.</summary>
    private void Resume()
    {
        if (_from is { } c)
        {
            if (c.LastTrip is { } t)
            {
                var draft = new TripDraft
                {
                    Carried = true,
                    Vehicle = t.Vehicle,
                    KeyTicks = t.KeyAt.UtcTicks,
                    Close = t.OpenAtStart ? TripClose.Open : t.Close,
                    AlightTicks = t.OpenAtStart ? -1 : t.AlightAt?.UtcTicks ?? -1,
                    AlightRouteId = t.OpenAtStart ? null : t.AlightRoute,
                    Charge = t.Charge,
                    RidePoints = t.RidePoints,
                    Transfer = t.Transfer,
                    Day = WalletRules.ServiceDay(t.KeyAt),
                };
                _trips.Add(draft);
                _open = t.OpenAtStart ? draft : null;
            }

            foreach (CarriedParticipation p in c.Participations)
            {
                // An event the registry no longer holds cannot be tapped into or out of: nothing to carry.
                if (_registry.FindEvent(p.Event) is { } ev)
                {
                    var draft = new ParticipationDraft(ev, -1, p.In.UtcTicks) { Carried = true, CarriedOut = p.TappedOut, Points = p.Points };
                    _participationByEvent[ev.Id] = draft;
                    _participations.Add(draft);
                }
            }

            foreach (CheckIn checkIn in c.CheckIns)
            {
                _checkInByDay[(checkIn.Clinic, checkIn.Date)] = checkIn;
            }
        }

        if (!_writeCheckpoints)
        {
            return;
        }

        var days = new SortedSet<DateOnly>();
        for (int i = 0; i < _count; i++)
        {
            if (_entries[i].FromTaps)
            {
                days.Add(WalletRules.ServiceDay(_entries[i].Tap.Event.At));
            }
        }

        foreach (ValueChange t in _history.ValueChanges)
        {
            if (t.At.UtcTicks >= _startTicks)
            {
                days.Add(WalletRules.ServiceDay(t.At));
            }
        }

        if (_from is not null)
        {
            days.Remove(_from.Day); // its checkpoint is the one evaluated from, and stays as it is
        }

        _days = [.. days];
        _dayStartTicks = [.. _days.Select(d => WalletRules.DayStart(d).UtcTicks)];
        _walkMarks = new WalkMark[_days.Length];
        _balances = new Balance[_days.Length];
    }

    /// <summary>A tap just after the checkpoint's day started repeating one of the 10 s before it.</summary>
    private void RepeatOfCarried(int i, string tok)
    {
        ref Entry e = ref _entries[i];
        IReadOnlyList<CarriedTap> recent = _from!.RecentTaps;
        for (int j = recent.Count - 1; j >= 0; j--)
        {
            CarriedTap prior = recent[j];
            if (e.Ticks - prior.At.UtcTicks <= RuleWindows.Repeat.Ticks
                && string.Equals(prior.Card, tok, StringComparison.Ordinal)
                && string.Equals(prior.Device, e.Tap.Device, StringComparison.Ordinal))
            {
                e.Duplicate = true;
                _outcome[i] = TapOutcome.Duplicate($"repeat of seq {prior.Seq} on this device within {RuleWindows.Repeat.TotalSeconds:0} s");
                return;
            }
        }
    }

    /// <summary>Called by the walk before entry <paramref name="entry"/> (at <paramref name="ticks"/>): marks the days that start before it.</summary>
    private void MarkDayStarts(int entry, long ticks)
    {
        while (_walkMarked < _days.Length && _dayStartTicks[_walkMarked] <= ticks)
        {
            long start = _dayStartTicks[_walkMarked];
            DateOnly date = WalletRules.JstDate(new DateTimeOffset(start, TimeSpan.Zero));
            var participations = new List<CarriedParticipation>();
            foreach (ParticipationDraft p in _participations)
            {
                if (p.Event.End + RuleWindows.EventOutGrace >= new DateTimeOffset(start, TimeSpan.Zero))
                {
                    bool tappedOut = p.CarriedOut || p.Out >= 0;
                    participations.Add(new CarriedParticipation(p.Event.Id, new DateTimeOffset(p.InTicks, TimeSpan.Zero), tappedOut, tappedOut ? p.Points : p.Event.Points));
                }
            }

            _walkMarks[_walkMarked++] = new WalkMark(
                entry,
                _trips.Count > 0 ? _trips[^1] : null,
                _open is not null,
                [.. participations],
                [.. _checkIns.Where(c => c.Date == date)]);
        }
    }

    /// <summary>Called by the wallet replay before an item at <paramref name="ticks"/>: the balances at the days that start before it.</summary>
    private void MarkBalances(long ticks, Balance balance)
    {
        while (_balancesMarked < _days.Length && _dayStartTicks[_balancesMarked] <= ticks)
        {
            _balances[_balancesMarked++] = balance;
        }
    }

    private DayCheckpoint[] Checkpoints()
    {
        var result = new DayCheckpoint[_days.Length];
        for (int k = 0; k < _days.Length; k++)
        {
            WalkMark mark = _walkMarks[k];
            Balance b = _balances[k];
            result[k] = new DayCheckpoint(
                _days[k],
                b.Value,
                b.Points,
                b.Bus,
                b.Volunteer,
                b.Health,
                b.InDebt,
                mark.LastTrip is { } t ? Carry(t, mark.OpenAtStart) : null,
                RecentTaps(mark.Entry, _dayStartTicks[k]),
                mark.Participations,
                mark.CheckIns,
                _cardReadMarks.Length > k ? _cardReadMarks[k] : null,
                _placeMarks.Length > k ? _placeMarks[k] : null);
        }

        return result;
    }

    /// <summary>The trip as the next day needs it: if it was open at the start, its alight (if any) is walked again with that day.</summary>
    private static CarriedTrip Carry(TripDraft t, bool openAtStart) => new(
        t.Vehicle,
        new DateTimeOffset(t.KeyTicks, TimeSpan.Zero),
        openAtStart,
        t.Close,
        openAtStart ? null : t.AlightRouteId,
        openAtStart || t.AlightTicks < 0 ? null : new DateTimeOffset(t.AlightTicks, TimeSpan.Zero),
        t.Charge,
        t.RidePoints,
        t.Transfer);

    /// <summary>Taps before entry <paramref name="entry"/> that a tap at the day's start may repeat, in timeline order.</summary>
    private CarriedTap[] RecentTaps(int entry, long start)
    {
        var recent = new List<CarriedTap>();
        for (int j = entry - 1; j >= 0 && start - _entries[j].Ticks <= RuleWindows.Repeat.Ticks; j--)
        {
            ref Entry e = ref _entries[j];
            if (!e.Duplicate && e.Tap.Event.Type != EventTypes.TripEnd && e.Tap.Event.Card?.Tok is { } tok)
            {
                recent.Add(new CarriedTap(e.Tap.Device, e.Tap.Seq, tok, e.Tap.Event.At));
            }
        }

        recent.Reverse();
        return [.. recent];
    }
}
