using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Rules;

// The reads of the person's authenticated cards, in the timeline's order: which prove a copy (CardReadRules), and
// what each day's start carries of them.
internal sealed partial class WalletEvaluation
{
    private List<CloneSignal>? _cloneSignals;
    private CarriedCardReads[]?[] _cardReadMarks = [];

    /// <summary>One card's reads as the walk stands: genuine reads within the tolerance, the highest counter before them.</summary>
    private sealed class CardReadTrack(string card)
    {
        public string Card { get; } = card;

        /// <summary>Highest counter of the genuine reads folded out of <see cref="Recent"/> (older than the tolerance).</summary>
        public int SettledMax { get; private set; } = -1;

        public List<(long Ticks, int Counter)> Recent { get; } = [];

        public List<long> Unauthenticated { get; } = [];

        public static CardReadTrack From(CarriedCardReads carried)
        {
            var t = new CardReadTrack(carried.Card) { SettledMax = carried.SettledMax };
            t.Recent.AddRange(carried.Recent.Select(r => (r.At.UtcTicks, r.Counter)));
            t.Unauthenticated.AddRange(carried.Unauthenticated.Select(u => u.UtcTicks));
            return t;
        }

        /// <summary>Folds the genuine reads more than the tolerance before <paramref name="ticks"/> into <see cref="SettledMax"/>, and forgets old unauthenticated reads.</summary>
        public void AdvanceTo(long ticks)
        {
            long horizon = ticks - CardReadRules.ClockTolerance.Ticks;
            int fold = 0;
            while (fold < Recent.Count && Recent[fold].Ticks < horizon)
            {
                SettledMax = Math.Max(SettledMax, Recent[fold].Counter);
                fold++;
            }

            Recent.RemoveRange(0, fold);
            long since = ticks - CardReadRules.UnauthenticatedWindow.Ticks;
            Unauthenticated.RemoveAll(u => u < since);
        }

        public CarriedCardReads Carry() => new(
            Card,
            SettledMax,
            [.. Recent.Select(r => new CarriedRead(new DateTimeOffset(r.Ticks, TimeSpan.Zero), r.Counter))],
            [.. Unauthenticated.TakeLast(CardReadRules.MaxCarriedUnauthenticated).Select(u => new DateTimeOffset(u, TimeSpan.Zero))]);
    }

    /// <summary>
    /// Refuses the reads that are not the genuine card's: a read without its SUN message, and the clone reads
    /// (<see cref="CardReadRules"/>). Runs after <see cref="Resume"/> (it needs the days to carry the reads into).
    /// </summary>
    private void MarkCardReads()
    {
        Dictionary<string, CardReadTrack>? tracks = null;
        if (_from?.CardReads is { Count: > 0 } carried)
        {
            tracks = carried.ToDictionary(c => c.Card, CardReadTrack.From, StringComparer.Ordinal);
        }

        _cardReadMarks = new CarriedCardReads[]?[_days.Length];
        int marked = 0;
        for (int i = 0; i < _count; i++)
        {
            ref Entry e = ref _entries[i];
            for (; marked < _days.Length && _dayStartTicks[marked] <= e.Ticks; marked++)
            {
                _cardReadMarks[marked] = CarryCardReads(tracks, _dayStartTicks[marked]);
            }

            // A repeat (the same card on the same device within 10 s) is not charged, but a SUN message it carries is
            // still a read of the card: a copy tapped right after the genuine card at the same door replays a counter.
            // A repeat without its message proves nothing (a genuine card fails a read now and then) and is skipped.
            if ((e.Duplicate && e.Tap.Auth != CardReadAuth.Verified) || e.Tap.Auth == CardReadAuth.None
                || e.Tap.Event.Card?.Tok is not { } tok || e.Tap.Event.Type == EventTypes.TripEnd)
            {
                continue;
            }

            tracks ??= new Dictionary<string, CardReadTrack>(StringComparer.Ordinal);
            if (!tracks.TryGetValue(tok, out CardReadTrack? track))
            {
                tracks[tok] = track = new CardReadTrack(tok);
            }

            track.AdvanceTo(e.Ticks);
            string? clone = null;
            if (e.Tap.Auth == CardReadAuth.Missing)
            {
                clone = track.Unauthenticated.Count > 0 ? CardReadRules.SecondUnauthenticated(new DateTimeOffset(track.Unauthenticated[^1], TimeSpan.Zero)) : null;
                track.Unauthenticated.Add(e.Ticks);
                Refuse(i, clone ?? CardReadRules.UnauthenticatedRead);
            }
            else
            {
                int counter = e.Tap.SunCounter;
                if (counter <= track.SettledMax)
                {
                    clone = CardReadRules.CounterBehind(counter, track.SettledMax);
                }
                else if (track.Recent.Exists(r => r.Counter == counter))
                {
                    clone = CardReadRules.SameCounter(counter);
                }
                else
                {
                    track.Recent.Add((e.Ticks, counter));
                }

                if (clone is not null)
                {
                    Refuse(i, clone);
                }
            }

            if (clone is not null)
            {
                (_cloneSignals ??= []).Add(new CloneSignal(tok, new StoredTapRef(e.Tap.Device, e.Tap.Seq), e.Tap.Event.At, clone));
            }
        }

        for (; marked < _days.Length; marked++)
        {
            _cardReadMarks[marked] = CarryCardReads(tracks, _dayStartTicks[marked]);
        }
    }

    private void Refuse(int i, string reason)
    {
        _entries[i].Refused = true;
        Reject(i, reason);
    }

    private static CarriedCardReads[]? CarryCardReads(Dictionary<string, CardReadTrack>? tracks, long dayStart)
    {
        if (tracks is null)
        {
            return null;
        }

        var carried = new CarriedCardReads[tracks.Count];
        int n = 0;
        foreach (CardReadTrack t in tracks.Values.OrderBy(t => t.Card, StringComparer.Ordinal))
        {
            t.AdvanceTo(dayStart);
            carried[n++] = t.Carry();
        }

        return carried;
    }
}
