using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Ingest.Rules;

// Bus taps into trips (open, alighted, missing tap-off, unmatched alight), then their category, transfer and cap.
internal sealed partial class WalletEvaluation
{
    private readonly List<TripDraft> _trips = [];
    private TripDraft? _open;
    private RouteFares? _lastRoute;
    private DateOnly _lastDay;
    private string? _lastDayText;
    private DateTimeOffset? _reviewAt;

    private sealed class TripDraft
    {
        public int Board = -1;
        public int Alight = -1;
        public RouteFares? BoardRoute;
        public int BoardStop = -1;
        public RouteFares? AlightRoute;
        public int AlightStop = -1;
        public string Vehicle = "";
        public long KeyTicks;
        public TripClose Close = TripClose.Open;

        // The alight's time and route, also for a trip carried from a checkpoint (whose alight is not in the walk).
        public long AlightTicks = -1;
        public string? AlightRouteId;

        /// <summary>The last trip before the checkpoint evaluated from: rated and posted already, walked only to be closed and transferred from.</summary>
        public bool Carried;

        public string Category = FareCategories.Adult;
        public long AdultFare;
        public long CategoryFare;
        public long TransferDiscount;
        public long CapReduction;
        public long Charge;
        public long RidePoints;
        public bool Transfer;
        public DateOnly Day;
    }

    private void CloseIfTimedOut(long ticks)
    {
        if (_open is not null && ticks > _open.KeyTicks + RuleWindows.Trip.Ticks)
        {
            _open.Close = TripClose.MissingTapOff;
            _open = null;
        }
    }

    private void CloseOpen()
    {
        if (_open is not null)
        {
            _open.Close = TripClose.MissingTapOff;
            _open = null;
        }
    }

    private void TripEnd(int i)
    {
        ref Entry e = ref _entries[i];
        if (e.FromTaps)
        {
            _outcome[i] = TapOutcome.Applied();
        }

        CloseIfTimedOut(e.Ticks);
        string? vehicle = e.Tap.Event.Ctx.Vehicle;
        if (_open is not null && vehicle is not null && string.Equals(vehicle, _open.Vehicle, StringComparison.Ordinal) && e.Ticks > _open.KeyTicks)
        {
            CloseOpen();
        }
    }

    private void BusTap(int i)
    {
        ref Entry e = ref _entries[i];
        TapEvent ev = e.Tap.Event;
        if (ev.Decision != Decisions.Accept)
        {
            _outcome[i] = TapOutcome.Applied("denied on the device: kept for audit, no fare");
            return;
        }

        RouteDef? route = ev.Ctx.Route is null ? null : _registry.FindRoute(ev.Ctx.Route);
        if (route is null)
        {
            Reject(i, $"unknown route '{ev.Ctx.Route}'");
            return;
        }

        if (string.IsNullOrEmpty(ev.Ctx.Vehicle))
        {
            Reject(i, $"{ev.Type} without ctx.vehicle");
            return;
        }

        // Most of a person's taps are on one or two routes: skip the shared cache lookup for a repeat.
        RouteFares fares = ReferenceEquals(_lastRoute?.Route, route) ? _lastRoute! : (_lastRoute = RouteFares.For(route, _registry.FindFareTable(route.FareTable)));
        int stop = fares.StopIndex(ev.Ctx.Stop);
        if (stop < 0)
        {
            Reject(i, $"stop '{ev.Ctx.Stop}' is not on route {route.Id}");
            return;
        }

        CloseIfTimedOut(e.Ticks);
        if (ev.Type == EventTypes.Board)
        {
            CloseOpen(); // boarding again closes the trip before without an alight
            _open = new TripDraft { Board = i, BoardRoute = fares, BoardStop = stop, Vehicle = ev.Ctx.Vehicle, KeyTicks = e.Ticks };
            _trips.Add(_open);
            return;
        }

        if (_open is not null && string.Equals(_open.Vehicle, ev.Ctx.Vehicle, StringComparison.Ordinal))
        {
            _open.Alight = i;
            _open.AlightRoute = fares;
            _open.AlightStop = stop;
            _open.AlightTicks = e.Ticks;
            _open.AlightRouteId = route.Id;
            _open.Close = TripClose.Alighted;
            _open = null;
            return;
        }

        CloseOpen(); // an alight from another vehicle: the person has left the open one
        _trips.Add(new TripDraft
        {
            Alight = i,
            AlightRoute = fares,
            AlightStop = stop,
            AlightTicks = e.Ticks,
            AlightRouteId = route.Id,
            Vehicle = ev.Ctx.Vehicle,
            KeyTicks = e.Ticks,
            Close = TripClose.UnmatchedAlight,
        });
    }

    private void CloseAtEnd()
    {
        if (_open is null)
        {
            return;
        }

        long deadline = _open.KeyTicks + RuleWindows.Trip.Ticks;
        if (_now.UtcTicks > deadline)
        {
            CloseOpen();
        }
        else
        {
            _reviewAt = new DateTimeOffset(deadline, TimeSpan.Zero);
        }
    }

    private readonly struct CategoryOfDay(string name, long? cap)
    {
        public string Name { get; } = name;
        public long? Cap { get; } = cap;
    }

    private CategoryOfDay CategoryFor(DateOnly day)
    {
        DailyCaps? caps = _registry.Tariff.DailyCap;
        int age = WalletRules.AgeOn(_person.BirthDate, day);
        if (age < 6)
        {
            return new CategoryOfDay(FareCategories.Infant, null);
        }

        bool child = age < 12;
        bool disability = _person.HasDisability;
        if (child && disability)
        {
            // Same half fare; the lower daily cap is the lower fare over the day (no cap counts as highest).
            long childCap = caps?.Child ?? long.MaxValue;
            long disabilityCap = caps?.Disability ?? long.MaxValue;
            return disabilityCap < childCap
                ? new CategoryOfDay(FareCategories.Disability, caps?.Disability)
                : new CategoryOfDay(FareCategories.Child, caps?.Child);
        }

        if (child)
        {
            return new CategoryOfDay(FareCategories.Child, caps?.Child);
        }

        return disability
            ? new CategoryOfDay(FareCategories.Disability, caps?.Disability)
            : new CategoryOfDay(FareCategories.Adult, caps?.Adult);
    }

    private void RateTrips()
    {
        long ridePer100 = _registry.Tariff.RidePointsPer100;
        bool haveDay = false;
        DateOnly day = default;
        CategoryOfDay category = default;
        long dayTotal = 0;
        TripDraft? previous = null;

        foreach (TripDraft t in _trips)
        {
            if (t.Carried)
            {
                previous = t; // rated with its own day's trips when that day was evaluated
                continue;
            }

            t.Day = WalletRules.ServiceDay(new DateTimeOffset(t.KeyTicks, TimeSpan.Zero));
            if (!haveDay || t.Day != day)
            {
                haveDay = true;
                day = t.Day;
                category = CategoryFor(day);
                dayTotal = 0;
            }

            t.Category = category.Name;
            if (t.Close == TripClose.Open)
            {
                previous = t;
                continue;
            }

            t.AdultFare = t.Close switch
            {
                TripClose.Alighted when t.BoardRoute!.StopIndex(StopOf(t.Alight)) is int s && s >= 0 => t.BoardRoute.Fare(t.BoardStop, s),
                TripClose.UnmatchedAlight => t.AlightRoute!.MaxTo(t.AlightStop),
                _ => t.BoardRoute!.MaxFrom(t.BoardStop),
            };

            long fare = category.Name switch
            {
                FareCategories.Infant => 0,
                FareCategories.Child or FareCategories.Disability => WalletRules.HalfFare(t.AdultFare),
                _ => t.AdultFare,
            };
            t.CategoryFare = fare;

            if (t.Board >= 0 && previous is not null && previous.AlightTicks >= 0
                && (previous.Close == TripClose.Alighted || previous.Close == TripClose.UnmatchedAlight)
                && !string.Equals(previous.AlightRouteId, t.BoardRoute!.Route.Id, StringComparison.Ordinal))
            {
                long gap = t.KeyTicks - previous.AlightTicks;
                if (gap >= 0 && gap <= RuleWindows.Transfer.Ticks)
                {
                    t.Transfer = true;
                    long beforeTransfer = fare;
                    fare = Math.Max(0, fare - t.BoardRoute.Route.TransferDiscount);
                    t.TransferDiscount = beforeTransfer - fare;
                }
            }

            if (category.Cap is long cap)
            {
                long beforeCap = fare;
                fare = Math.Min(fare, Math.Max(0, cap - dayTotal));
                t.CapReduction = beforeCap - fare;
            }

            dayTotal += fare;
            t.Charge = fare;
            t.RidePoints = fare / 100 * ridePer100;
            previous = t;
        }
    }

    private string? StopOf(int entry) => entry < 0 ? null : _entries[entry].Tap.Event.Ctx.Stop;

    private string FareText(TripDraft t)
    {
        string route = (t.BoardRoute ?? t.AlightRoute)!.Route.Id;
        string from = t.Board >= 0 ? StopOf(t.Board) ?? "?" : "?";
        string to = t.Alight >= 0 ? StopOf(t.Alight) ?? "?" : "?";
        return string.Concat("運賃 / Fare ", route, " ", from, "→", to);
    }

    private string DayText(DateOnly day)
    {
        if (_lastDayText is null || day != _lastDay)
        {
            _lastDay = day;
            _lastDayText = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        return _lastDayText;
    }

    private Trip ToTrip(TripDraft t)
    {
        TapEvent? board = t.Board >= 0 ? _entries[t.Board].Tap.Event : null;
        TapEvent? alight = t.Alight >= 0 ? _entries[t.Alight].Tap.Event : null;
        return new Trip(
            (t.BoardRoute ?? t.AlightRoute)!.Route.Id,
            t.Vehicle,
            board?.Ctx.Stop,
            board?.At,
            alight?.Ctx.Stop,
            alight?.At,
            t.Close,
            t.Category,
            t.AdultFare,
            t.Charge,
            t.Transfer,
            DayText(t.Day),
            t.Board >= 0 ? RefOf(t.Board) : null,
            t.Alight >= 0 ? RefOf(t.Alight) : null,
            t.CategoryFare,
            t.TransferDiscount,
            t.CapReduction);
    }

    private void FillTripOutcomes()
    {
        foreach (TripDraft t in _trips)
        {
            if (t.Close == TripClose.Open)
            {
                if (t.Board < 0)
                {
                    continue; // carried: its board is a tap of an earlier day
                }

                _outcome[t.Board] = TapOutcome.Applied("trip open: charged at the alight (or the highest fare from this stop)");
                continue;
            }

            string? reason = t.Close switch
            {
                TripClose.MissingTapOff => "closed without an alight: highest fare from the boarding stop",
                TripClose.UnmatchedAlight => "alight with no open trip: highest fare to this stop",
                _ => null,
            };

            if (t.Transfer)
            {
                reason = reason is null ? "transfer" : reason + "; transfer";
            }

            var outcome = TapOutcome.Applied(reason, t.Charge, t.RidePoints);
            if (t.Board >= 0)
            {
                _outcome[t.Board] = outcome;
            }

            if (t.Alight >= 0)
            {
                _outcome[t.Alight] = outcome;
            }
        }
    }
}
