using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Rules;

namespace Maebashi.Edge.Ingest.Rules;

// The facts in one total order, whatever order they arrived in, and the repeat taps among them.
internal sealed partial class WalletEvaluation
{
    private List<StoredTap>? _malformed;

    private struct Entry
    {
        public StoredTap Tap;
        public long Ticks;
        public FactKind Kind;
        public bool FromTaps;
        public bool Duplicate;

        /// <summary>Refused before the walk (a card read that is not the genuine card's): no effect, outcome set.</summary>
        public bool Refused;
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

            // As numbers: an enum's own CompareTo boxes, and this runs for every pair the sort compares.
            c = ((int)x.Kind).CompareTo((int)y.Kind);
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

    /// <summary>
    /// A fact's type, declared in the order facts of one instant are walked: an alight at the instant of a trip_end
    /// still closes its trip, and a trip_end never closes a trip boarded at the same instant.
    /// </summary>
    private enum FactKind
    {
        Alight,
        TripEnd,
        Board,
        EventIn,
        EventOut,
        ClinicCheckin,
        Other,
    }

    private static FactKind KindOf(string type) => type switch
    {
        EventTypes.Alight => FactKind.Alight,
        EventTypes.TripEnd => FactKind.TripEnd,
        EventTypes.Board => FactKind.Board,
        EventTypes.EventIn => FactKind.EventIn,
        EventTypes.EventOut => FactKind.EventOut,
        EventTypes.ClinicCheckin => FactKind.ClinicCheckin,
        _ => FactKind.Other,
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
            if (t is { Event: { } early } && early.At.UtcTicks < _startTicks)
            {
                continue; // settled in the checkpoint evaluated from
            }

            if (!WellFormed(t))
            {
                (_malformed ??= []).Add(t);
                continue;
            }

            all[n++] = new Entry { Tap = t, Ticks = t.Event.At.UtcTicks, Kind = KindOf(t.Event.Type), FromTaps = true };
        }

        for (int i = 0; i < ends.Count; i++)
        {
            StoredTap t = ends[i];
            if (WellFormed(t) && t.Event.Type == EventTypes.TripEnd && t.Event.At.UtcTicks >= _startTicks)
            {
                all[n++] = new Entry { Tap = t, Ticks = t.Event.At.UtcTicks, Kind = FactKind.TripEnd, FromTaps = false };
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
        for (int i = 0; i < _count; i++)
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
                    _outcome[i] = TapOutcome.Duplicate($"repeat of seq {prior.Tap.Seq} on this device within {RuleWindows.Repeat.TotalSeconds:0} s");
                    break;
                }
            }

            if (!e.Duplicate && _from is not null && e.Ticks - _startTicks <= window)
            {
                RepeatOfCarried(i, tok);
            }
        }
    }
}
