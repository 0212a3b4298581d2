using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// One run of <see cref="WalletRules.Evaluate"/>: sorts the person's facts into a total order, walks them
/// once (repeats, trips, events, check-ins), rates the trips, then replays the wallet. Single use.
/// </summary>
internal sealed class WalletEvaluation
{
    private const string Applied = ResultStatus.Applied;
    private const string Rejected = ResultStatus.Rejected;

    private readonly CityRegistry _registry;
    private readonly PersonHistory _history;
    private readonly PersonEntry _person;
    private readonly DateTimeOffset _now;

    private Entry[] _entries = [];
    private int _count;
    private TapOutcome?[] _outcome = [];
    private StoredTapRef?[] _refs = [];

    private readonly List<TripDraft> _trips = [];
    private TripDraft? _open;
    private RouteFares? _lastRoute;
    private DateOnly _lastDay;
    private string? _lastDayText;
    private DateTimeOffset? _reviewAt;

    private readonly Dictionary<string, ParticipationDraft> _participationByEvent = new(StringComparer.Ordinal);
    private readonly List<ParticipationDraft> _participations = [];
    private readonly List<(int Entry, ParticipationDraft Draft)> _eventTaps = [];

    private readonly Dictionary<(string Clinic, DateOnly Date), CheckIn> _checkInByDay = [];
    private readonly List<CheckIn> _checkIns = [];
    private Dictionary<string, string>? _patientNos;
    private List<StoredTap>? _malformed;

    public WalletEvaluation(CityRegistry registry, PersonHistory history, DateTimeOffset now)
    {
        _registry = registry;
        _history = history;
        _person = history.Person;
        _now = now;
    }

    public WalletView Run()
    {
        BuildTimeline();
        MarkRepeats();
        Walk();
        CloseAtEnd();
        RateTrips();
        return Settle();
    }

    // ---- timeline -------------------------------------------------------------------------------------

    private struct Entry
    {
        public StoredTap Tap;
        public long Ticks;
        public int Kind;
        public bool FromTaps;
        public bool Duplicate;
    }

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(Entry x, Entry y)
        {
            int c = x.Ticks.CompareTo(y.Ticks);
            if (c != 0)
            {
                return c;
            }

            c = x.Kind.CompareTo(y.Kind);
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(x.Tap.Device, y.Tap.Device);
            if (c != 0)
            {
                return c;
            }

            c = x.Tap.Seq.CompareTo(y.Tap.Seq);
            return c != 0 ? c : x.FromTaps.CompareTo(y.FromTaps);
        }
    }

    /// <summary>At one instant: alight, trip_end, board, event_in, event_out, clinic_checkin, anything else.</summary>
    private static int KindOrder(string type) => type switch
    {
        EventTypes.Alight => 0,
        EventTypes.TripEnd => 1,
        EventTypes.Board => 2,
        EventTypes.EventIn => 3,
        EventTypes.EventOut => 4,
        EventTypes.ClinicCheckin => 5,
        _ => 6,
    };

    private void BuildTimeline()
    {
        IReadOnlyList<StoredTap> taps = _history.Taps;
        IReadOnlyList<StoredTap> ends = _history.TripEnds;
        var all = new Entry[taps.Count + ends.Count];
        int n = 0;
        for (int i = 0; i < taps.Count; i++)
        {
            StoredTap t = taps[i];
            if (!WellFormed(t))
            {
                (_malformed ??= []).Add(t);
                continue;
            }

            all[n++] = new Entry { Tap = t, Ticks = t.Event.At.UtcTicks, Kind = KindOrder(t.Event.Type), FromTaps = true };
        }

        for (int i = 0; i < ends.Count; i++)
        {
            StoredTap t = ends[i];
            if (WellFormed(t) && t.Event.Type == EventTypes.TripEnd)
            {
                all[n++] = new Entry { Tap = t, Ticks = t.Event.At.UtcTicks, Kind = KindOrder(EventTypes.TripEnd), FromTaps = false };
            }
        }

        SortByTime(all, n);

        // The same (device, seq) listed more than once is one fact: the order puts its copies side by side
        // (same at, kind, device, seq); keep the first.
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (kept > 0 && all[kept - 1].Tap.Seq == all[i].Tap.Seq && all[kept - 1].Ticks == all[i].Ticks
                && all[kept - 1].FromTaps == all[i].FromTaps && string.Equals(all[kept - 1].Tap.Device, all[i].Tap.Device, StringComparison.Ordinal))
            {
                continue;
            }

            all[kept++] = all[i];
        }

        _entries = all;
        _count = kept;
        _outcome = new TapOutcome?[kept];
        _refs = new StoredTapRef?[kept];
    }

    /// <summary>
    /// Sorts by time with a primitive key sort (cheap), then orders runs sharing an instant by the full
    /// order (kind, device, seq). The result is the total order whatever the input order.
    /// </summary>
    private static void SortByTime(Entry[] all, int n)
    {
        bool sorted = true;
        for (int i = 1; i < n && sorted; i++)
        {
            sorted = EntryOrder.Instance.Compare(all[i - 1], all[i]) <= 0;
        }

        if (sorted)
        {
            return;
        }

        long[] keys = new long[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = all[i].Ticks;
        }

        Array.Sort(keys, all, 0, n);
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                Array.Sort(all, start, end - start, EntryOrder.Instance);
            }

            start = end;
        }
    }

    /// <summary>
    /// The contract's validation keeps these out, but facts come back from a store: a fact without its event,
    /// type or context is reported rejected rather than crashing the evaluation of the person.
    /// </summary>
    private static bool WellFormed(StoredTap? t) =>
        t is { Device: not null, Event: { Type: not null, Ctx: not null } };

    private StoredTapRef RefOf(int i) => _refs[i] ??= new StoredTapRef(_entries[i].Tap.Device, _entries[i].Tap.Seq);

    /// <summary>
    /// A tap of a card on a device at most 10 s after the first (non-duplicate) tap of that card on that
    /// device is the same tap. The timeline is sorted, so the anchor is found by looking back at most 10 s.
    /// </summary>
    private void MarkRepeats()
    {
        long window = RuleWindows.Repeat.Ticks;
        for (int i = 1; i < _count; i++)
        {
            ref Entry e = ref _entries[i];
            string? tok = e.Tap.Event.Card?.Tok;
            if (tok is null || e.Tap.Event.Type == EventTypes.TripEnd)
            {
                continue;
            }

            for (int j = i - 1; j >= 0 && e.Ticks - _entries[j].Ticks <= window; j--)
            {
                ref Entry prior = ref _entries[j];
                if (!prior.Duplicate && prior.Tap.Event.Type != EventTypes.TripEnd
                    && string.Equals(prior.Tap.Event.Card?.Tok, tok, StringComparison.Ordinal)
                    && string.Equals(prior.Tap.Device, e.Tap.Device, StringComparison.Ordinal))
                {
                    e.Duplicate = true;
                    _outcome[i] = new TapOutcome(ResultStatus.Duplicate, $"repeat of seq {prior.Tap.Seq} on this device within {RuleWindows.Repeat.TotalSeconds:0} s", null, null, null, null, null);
                    break;
                }
            }
        }
    }

    private void Reject(int i, string reason) => _outcome[i] = new TapOutcome(Rejected, reason, null, null, null, null, null);

    private void Walk()
    {
        for (int i = 0; i < _count; i++)
        {
            ref Entry e = ref _entries[i];
            TapEvent ev = e.Tap.Event;
            if (ev.Type == EventTypes.TripEnd)
            {
                TripEnd(i);
                continue;
            }

            if (e.Duplicate)
            {
                continue;
            }

            if (ev.Card is null)
            {
                Reject(i, $"{ev.Type} without a card");
                continue;
            }

            switch (ev.Type)
            {
                case EventTypes.Board:
                case EventTypes.Alight:
                    BusTap(i);
                    break;
                case EventTypes.EventIn:
                    EventIn(i);
                    break;
                case EventTypes.EventOut:
                    EventOut(i);
                    break;
                case EventTypes.ClinicCheckin:
                    ClinicCheckin(i);
                    break;
                default:
                    Reject(i, $"unknown event type '{ev.Type}'");
                    break;
            }
        }
    }

    // ---- trips ----------------------------------------------------------------------------------------

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

        public string Category = FareCategories.Adult;
        public long AdultFare;
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
            _outcome[i] = new TapOutcome(Applied, null, null, null, null, null, null);
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
            _outcome[i] = new TapOutcome(Applied, "denied on the device: kept for audit, no fare", null, null, null, null, null);
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
        RouteFares fares = ReferenceEquals(_lastRoute?.Route, route) ? _lastRoute! : (_lastRoute = RouteFares.For(route));
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

            if (t.Board >= 0 && previous is not null && previous.Alight >= 0
                && (previous.Close == TripClose.Alighted || previous.Close == TripClose.UnmatchedAlight)
                && !string.Equals(previous.AlightRoute!.Route.Id, t.BoardRoute!.Route.Id, StringComparison.Ordinal))
            {
                long gap = t.KeyTicks - _entries[previous.Alight].Ticks;
                if (gap >= 0 && gap <= RuleWindows.Transfer.Ticks)
                {
                    t.Transfer = true;
                    fare = Math.Max(0, fare - t.BoardRoute.Route.TransferDiscount);
                }
            }

            if (category.Cap is long cap)
            {
                fare = Math.Min(fare, Math.Max(0, cap - dayTotal));
            }

            dayTotal += fare;
            t.Charge = fare;
            t.RidePoints = fare / 100 * ridePer100;
            previous = t;
        }
    }

    private string? StopOf(int entry) => entry < 0 ? null : _entries[entry].Tap.Event.Ctx.Stop;

    // ---- events ---------------------------------------------------------------------------------------

    private sealed class ParticipationDraft(EventDef ev, int inEntry, long inTicks)
    {
        public EventDef Event { get; } = ev;
        public int In { get; } = inEntry;
        public long InTicks { get; } = inTicks;
        public int Out { get; set; } = -1;
        public long Points { get; set; } = ev.Points;
    }

    private bool CheckEventSite(int i, out EventDef ev)
    {
        StoredTap tap = _entries[i].Tap;
        string? id = tap.Event.Ctx.Event;
        EventDef? found = id is null ? null : _registry.FindEvent(id);
        ev = found!;
        if (found is null)
        {
            Reject(i, $"unknown event '{id}'");
            return false;
        }

        if (!found.Sites.Contains(tap.Device))
        {
            Reject(i, $"device {tap.Device} is not a site of event {found.Id}");
            return false;
        }

        return true;
    }

    private void EventIn(int i)
    {
        if (!CheckEventSite(i, out EventDef ev))
        {
            return;
        }

        DateTimeOffset at = _entries[i].Tap.Event.At;
        if (at < ev.Start || at > ev.End)
        {
            Reject(i, $"outside the window of event {ev.Id}");
            return;
        }

        if (_participationByEvent.TryGetValue(ev.Id, out ParticipationDraft? p))
        {
            _outcome[i] = new TapOutcome(Applied, $"points for event {ev.Id} already credited to this person", null, 0, null, null, null);
            return;
        }

        p = new ParticipationDraft(ev, i, _entries[i].Ticks);
        _participationByEvent[ev.Id] = p;
        _participations.Add(p);
        _eventTaps.Add((i, p));
    }

    private void EventOut(int i)
    {
        if (!CheckEventSite(i, out EventDef ev))
        {
            return;
        }

        if (!_participationByEvent.TryGetValue(ev.Id, out ParticipationDraft? p))
        {
            Reject(i, $"no event_in of this person at event {ev.Id} before it");
            return;
        }

        DateTimeOffset at = _entries[i].Tap.Event.At;
        if (at > ev.End + RuleWindows.EventOutGrace)
        {
            Reject(i, $"more than {RuleWindows.EventOutGrace.TotalMinutes:0} min after the window of event {ev.Id}");
            return;
        }

        if (p.Out >= 0)
        {
            _outcome[i] = new TapOutcome(Applied, $"already tapped out of event {ev.Id}", null, 0, null, null, null);
            return;
        }

        p.Out = i;
        if (ev.PointsPerHour is long perHour)
        {
            long minutes = (_entries[i].Ticks - p.InTicks) / TimeSpan.TicksPerMinute;
            long earned = minutes * perHour / 60;
            if (ev.MaxPoints is long max)
            {
                earned = Math.Min(max, earned);
            }

            p.Points = Math.Max(ev.Points, earned);
            _eventTaps.Add((i, p)); // reports the participation's credit as it now stands
            return;
        }

        _outcome[i] = new TapOutcome(Applied, $"event {ev.Id} credits no points by duration", null, 0, null, null, null);
    }

    // ---- clinics --------------------------------------------------------------------------------------

    private void ClinicCheckin(int i)
    {
        StoredTap tap = _entries[i].Tap;
        TapContext ctx = tap.Event.Ctx;
        ClinicDef? clinic = ctx.Clinic is null ? null : _registry.FindClinic(ctx.Clinic);
        if (clinic is null)
        {
            Reject(i, $"unknown clinic '{ctx.Clinic}'");
            return;
        }

        string? deviceClinic = _registry.FindDevice(tap.Device)?.Def.Clinic;
        if (deviceClinic is not null && !string.Equals(deviceClinic, clinic.Id, StringComparison.Ordinal))
        {
            Reject(i, $"device {tap.Device} is the reception of clinic {deviceClinic}, not {clinic.Id}");
            return;
        }

        if (ctx.Queue is not int queue || queue < 1)
        {
            Reject(i, "clinic_checkin without a queue number");
            return;
        }

        DateOnly date = WalletRules.JstDate(tap.Event.At);
        if (_checkInByDay.TryGetValue((clinic.Id, date), out CheckIn? first))
        {
            _outcome[i] = new TapOutcome(Applied, $"already checked in at {clinic.Id} today (queue {first.Queue})", null, null, first.PatientNo, first.Queue, first.ChildMedicalSubsidy);
            return;
        }

        _patientNos ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (!_patientNos.TryGetValue(clinic.Id, out string? patientNo))
        {
            _patientNos[clinic.Id] = patientNo = _registry.SectorIdFor(_person.Pid, "clinic:" + clinic.Id);
        }

        bool subsidy = WalletRules.ChildMedicalSubsidy(_person.BirthDate, date);
        var checkIn = new CheckIn(clinic.Id, date, queue, patientNo, subsidy, tap.Event.At, RefOf(i));
        _checkInByDay[(clinic.Id, date)] = checkIn;
        _checkIns.Add(checkIn);
        _outcome[i] = new TapOutcome(Applied, null, null, null, patientNo, queue, subsidy);
    }

    // ---- wallet ---------------------------------------------------------------------------------------

    private readonly struct LedgerItem(long ticks, int kind, int order, string key, int index)
    {
        public long Ticks { get; } = ticks;

        /// <summary>0 top-up, 1 event credit, 2 fare: at one instant money in before money out.</summary>
        public int Kind { get; } = kind;

        public int Order { get; } = order;
        public string Key { get; } = key;
        public int Index { get; } = index;
    }

    private sealed class LedgerOrder : IComparer<LedgerItem>
    {
        public static readonly LedgerOrder Instance = new();

        public int Compare(LedgerItem x, LedgerItem y)
        {
            int c = x.Ticks.CompareTo(y.Ticks);
            if (c != 0)
            {
                return c;
            }

            c = x.Kind.CompareTo(y.Kind);
            if (c != 0)
            {
                return c;
            }

            c = x.Order.CompareTo(y.Order);
            return c != 0 ? c : string.CompareOrdinal(x.Key, y.Key);
        }
    }

    private static string TapKey(string prefix, StoredTap tap) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}{tap.Device}:{tap.Seq}");

    private WalletView Settle()
    {
        TopUp[] topUps = DistinctTopUps();
        var items = new LedgerItem[topUps.Length + _participations.Count + _trips.Count];
        int n = 0;
        for (int i = 0; i < topUps.Length; i++)
        {
            items[n++] = new LedgerItem(topUps[i].At.UtcTicks, 0, 0, topUps[i].Receipt, i);
        }

        for (int i = 0; i < _participations.Count; i++)
        {
            items[n++] = new LedgerItem(_participations[i].InTicks, 1, 0, _participations[i].Event.Id, i);
        }

        for (int i = 0; i < _trips.Count; i++)
        {
            if (_trips[i].Close != TripClose.Open)
            {
                items[n++] = new LedgerItem(_trips[i].KeyTicks, 2, i, "", i);
            }
        }

        Array.Sort(items, 0, n, LedgerOrder.Instance);

        PersonDef def = _person.Def;
        long debtLimit = _registry.Tariff.DebtLimit;
        long value = def.OpeningValue;
        long points = def.OpeningPoints;
        long bus = 0, volunteer = 0, health = 0;
        bool inDebt = value < -debtLimit;
        var postings = new List<Posting>(n * 2 + 1);
        if (value != 0 || points != 0)
        {
            postings.Add(new Posting("opening", PostingKinds.Opening, value, points, "opening", DateTimeOffset.MinValue, "開始残高 / Opening balance"));
        }

        var trips = new Trip[_trips.Count];
        for (int k = 0; k < n; k++)
        {
            LedgerItem item = items[k];
            switch (item.Kind)
            {
                case 0:
                {
                    TopUp t = topUps[item.Index];
                    value += t.Amount;
                    postings.Add(new Posting("topup:" + t.Receipt, PostingKinds.TopUp, t.Amount, 0, "topup", t.At, "チャージ / Top-up"));
                    break;
                }

                case 1:
                {
                    ParticipationDraft p = _participations[item.Index];
                    points += p.Points;
                    if (p.Event.Sector == EventSectors.Health)
                    {
                        health += p.Points;
                    }
                    else
                    {
                        volunteer += p.Points;
                    }

                    if (p.Points != 0)
                    {
                        postings.Add(new Posting("event:" + p.Event.Id, PostingKinds.EventPoints, 0, p.Points, p.Event.Sector, _entries[p.In].Tap.Event.At,
                            string.Concat("イベントポイント ", p.Event.Id, " / Event points ", p.Event.Id)));
                    }

                    break;
                }

                default:
                {
                    TripDraft t = _trips[item.Index];
                    StoredTap keyTap = _entries[t.Board >= 0 ? t.Board : t.Alight].Tap;
                    DateTimeOffset at = keyTap.Event.At;
                    long charge = t.Charge;
                    if (charge != 0)
                    {
                        postings.Add(new Posting(TapKey("fare:", keyTap), PostingKinds.Fare, -charge, 0, "bus", at, FareText(t)));
                    }

                    long shortfall = charge - Math.Max(0, value);
                    if (shortfall > 0 && def.AutoPointPay && points > 0)
                    {
                        long used = Math.Min(shortfall, points);
                        points -= used;
                        value += used;
                        postings.Add(new Posting(TapKey("pointpay:", keyTap), PostingKinds.PointPayment, used, -used, "bus", at,
                            "ポイント払い / Paid with points"));
                    }

                    value -= charge;
                    if (t.RidePoints != 0)
                    {
                        points += t.RidePoints;
                        bus += t.RidePoints;
                        postings.Add(new Posting(TapKey("ridepoints:", keyTap), PostingKinds.RidePoints, 0, t.RidePoints, "bus", at,
                            "乗車ポイント / Ride points"));
                    }

                    break;
                }
            }

            if (value < -debtLimit)
            {
                inDebt = true;
            }
            else if (value >= 0)
            {
                inDebt = false;
            }
        }

        for (int i = 0; i < _trips.Count; i++)
        {
            trips[i] = ToTrip(_trips[i]);
        }

        FillTripOutcomes();
        var participations = new Participation[_participations.Count];
        for (int i = 0; i < participations.Length; i++)
        {
            ParticipationDraft p = _participations[i];
            TapEvent inTap = _entries[p.In].Tap.Event;
            participations[i] = new Participation(p.Event.Id, p.Event.Sector, inTap.At, p.Out >= 0 ? _entries[p.Out].Tap.Event.At : null, p.Points, RefOf(p.In));
        }

        foreach ((int entry, ParticipationDraft p) in _eventTaps)
        {
            _outcome[entry] = new TapOutcome(Applied, null, null, p.Points, null, null, null);
        }

        var outcomes = new Dictionary<StoredTapRef, TapOutcome>(_count);
        foreach (StoredTap t in _malformed ?? [])
        {
            if (t?.Device is not null)
            {
                outcomes[new StoredTapRef(t.Device, t.Seq)] = new TapOutcome(Rejected, "stored fact without its event, type or context", null, null, null, null, null);
            }
        }

        for (int i = 0; i < _count; i++)
        {
            if (_entries[i].FromTaps)
            {
                outcomes[RefOf(i)] = _outcome[i] ?? new TapOutcome(Applied, null, null, null, null, null, null);
            }
        }

        return new WalletView
        {
            Value = value,
            Points = points,
            PointsBus = bus,
            PointsVolunteer = volunteer,
            PointsHealth = health,
            InDebt = inDebt,
            Trips = trips,
            Postings = postings,
            CheckIns = _checkIns.ToArray(),
            Participations = participations,
            Outcomes = outcomes,
            ReviewAt = _reviewAt,
        };
    }

    private TopUp[] DistinctTopUps()
    {
        IReadOnlyList<TopUp> list = _history.TopUps;
        if (list.Count == 0)
        {
            return [];
        }

        var byReceipt = new Dictionary<string, TopUp>(list.Count, StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            TopUp t = list[i];
            if (!byReceipt.TryGetValue(t.Receipt, out TopUp? kept)
                || t.At < kept.At || (t.At == kept.At && t.At.Offset < kept.At.Offset)
                || (t.At == kept.At && t.At.Offset == kept.At.Offset && t.Amount < kept.Amount))
            {
                byReceipt[t.Receipt] = t;
            }
        }

        var result = new TopUp[byReceipt.Count];
        byReceipt.Values.CopyTo(result, 0);
        return result;
    }

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
            t.Alight >= 0 ? RefOf(t.Alight) : null);
    }

    private void FillTripOutcomes()
    {
        foreach (TripDraft t in _trips)
        {
            if (t.Close == TripClose.Open)
            {
                _outcome[t.Board] = new TapOutcome(Applied, "trip open: charged at the alight (or the highest fare from this stop)", null, null, null, null, null);
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

            var outcome = new TapOutcome(Applied, reason, t.Charge, t.RidePoints, null, null, null);
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
