using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

// The wallet replayed in time order: opening, operators' top-ups and adjustments, event credits and trip charges into postings and balances.
internal sealed partial class WalletEvaluation
{
    /// <summary>What a wallet item is, declared in the order items of one instant are replayed: money in before money out.</summary>
    private enum LedgerItemKind
    {
        ValueChange,
        EventCredit,
        Fare,
    }

    private readonly struct LedgerItem(long ticks, LedgerItemKind kind, int order, string key, int index)
    {
        public long Ticks { get; } = ticks;
        public LedgerItemKind Kind { get; } = kind;

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

            // As numbers: an enum's own CompareTo boxes, and this runs for every pair the sort compares.
            c = ((int)x.Kind).CompareTo((int)y.Kind);
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
        ValueChange[] changes = DistinctValueChanges();
        var items = new LedgerItem[changes.Length + _participations.Count + _trips.Count];
        int n = 0;
        for (int i = 0; i < changes.Length; i++)
        {
            items[n++] = new LedgerItem(changes[i].At.UtcTicks, LedgerItemKind.ValueChange, 0, changes[i].Key, i);
        }

        for (int i = 0; i < _participations.Count; i++)
        {
            if (_participations[i].Carried)
            {
                continue; // credited on the day of its event_in, before the checkpoint
            }

            items[n++] = new LedgerItem(_participations[i].InTicks, LedgerItemKind.EventCredit, 0, _participations[i].Event.Id, i);
        }

        for (int i = 0; i < _trips.Count; i++)
        {
            if (_trips[i].Close != TripClose.Open && !_trips[i].Carried)
            {
                items[n++] = new LedgerItem(_trips[i].KeyTicks, LedgerItemKind.Fare, i, "", i);
            }
        }

        Array.Sort(items, 0, n, LedgerOrder.Instance);

        PersonDef def = _person.Def;
        long debtLimit = _registry.Tariff.DebtLimit;
        long value = _from?.Value ?? def.OpeningValue;
        long points = _from?.Points ?? def.OpeningPoints;
        long bus = _from?.PointsBus ?? 0, volunteer = _from?.PointsVolunteer ?? 0, health = _from?.PointsHealth ?? 0;
        bool inDebt = _from?.InDebt ?? value < -debtLimit;
        var postings = new List<Posting>(n * 2 + 1);
        if (_from is null && (value != 0 || points != 0))
        {
            postings.Add(new Posting("opening", PostingKinds.Opening, value, points, "opening", DateTimeOffset.MinValue, "開始残高 / Opening balance"));
        }

        for (int k = 0; k < n; k++)
        {
            LedgerItem item = items[k];
            MarkBalances(item.Ticks, new Balance(value, points, bus, volunteer, health, inDebt));
            switch (item.Kind)
            {
                case LedgerItemKind.ValueChange:
                {
                    ValueChange t = changes[item.Index];
                    value += t.Amount;
                    postings.Add(t.Kind == ValueChangeKind.TopUp
                        ? new Posting(t.Key, PostingKinds.TopUp, t.Amount, 0, "topup", t.At, "チャージ / Top-up")
                        : new Posting(t.Key, PostingKinds.OperatorAdjustment, t.Amount, 0, "adjustment", t.At, AdjustmentReasons.Describe(t.Reason)));
                    break;
                }

                case LedgerItemKind.EventCredit:
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

                case LedgerItemKind.Fare:
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

        MarkBalances(long.MaxValue, new Balance(value, points, bus, volunteer, health, inDebt));
        var trips = new List<Trip>(_trips.Count);
        foreach (TripDraft t in _trips)
        {
            if (!t.Carried)
            {
                trips.Add(ToTrip(t));
            }
        }

        FillTripOutcomes();
        var participations = new List<Participation>(_participations.Count);
        foreach (ParticipationDraft p in _participations)
        {
            if (p.Carried)
            {
                continue;
            }

            TapEvent inTap = _entries[p.In].Tap.Event;
            participations.Add(new Participation(p.Event.Id, p.Event.Sector, inTap.At, p.Out >= 0 ? _entries[p.Out].Tap.Event.At : null, p.Points, RefOf(p.In)));
        }

        foreach ((int entry, ParticipationDraft p) in _eventTaps)
        {
            _outcome[entry] = TapOutcome.Applied(points: p.Points);
        }

        var outcomes = new Dictionary<StoredTapRef, TapOutcome>(_count);
        foreach (StoredTap t in _malformed ?? [])
        {
            if (t?.Device is not null)
            {
                outcomes[new StoredTapRef(t.Device, t.Seq)] = TapOutcome.Rejected("stored fact without its event, type or context");
            }
        }

        for (int i = 0; i < _count; i++)
        {
            if (_entries[i].FromTaps)
            {
                outcomes[RefOf(i)] = _outcome[i] ?? TapOutcome.Applied();
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
            CloneSignals = _cloneSignals is null ? [] : [.. _cloneSignals],
            TravelReviews = _travelReviews is null ? [] : [.. _travelReviews],
            ReviewAt = _reviewAt,
        };
    }

    private ValueChange[] DistinctValueChanges()
    {
        IReadOnlyList<ValueChange> list = _history.ValueChanges;
        if (list.Count == 0)
        {
            return [];
        }

        var byKey = new Dictionary<string, ValueChange>(list.Count, StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            ValueChange t = list[i];
            if (t.At.UtcTicks < _startTicks)
            {
                continue; // in the checkpoint's balance
            }

            if (!byKey.TryGetValue(t.Key, out ValueChange? kept)
                || t.At < kept.At || (t.At == kept.At && t.At.Offset < kept.At.Offset)
                || (t.At == kept.At && t.At.Offset == kept.At.Offset && t.Amount < kept.Amount))
            {
                byKey[t.Key] = t;
            }
        }

        var result = new ValueChange[byKey.Count];
        byKey.Values.CopyTo(result, 0);
        return result;
    }
}
