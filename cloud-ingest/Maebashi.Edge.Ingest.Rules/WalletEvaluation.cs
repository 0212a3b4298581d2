using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// One run of <see cref="WalletRules.Evaluate"/>: sorts the person's facts into a total order, walks them
/// once (repeats, trips, events, check-ins), rates the trips, then replays the wallet. Single use. Each concern
/// is its own part: Timeline, Trips, Events, Clinics, Wallet and Days (checkpoints).
/// </summary>
internal sealed partial class WalletEvaluation
{
    private readonly CityRegistry _registry;
    private readonly PersonHistory _history;
    private readonly PersonEntry _person;
    private readonly DateTimeOffset _now;

    private Entry[] _entries = [];
    private int _count;
    private TapOutcome?[] _outcome = [];
    private StoredTapRef?[] _refs = [];

    /// <param name="checkpoints">Whether to write the checkpoints of the days evaluated (a full replay that only wants the view does not).</param>
    public WalletEvaluation(CityRegistry registry, PersonHistory history, DayCheckpoint? from, DateTimeOffset now, bool checkpoints)
    {
        _writeCheckpoints = checkpoints;
        _registry = registry;
        _history = history;
        _person = history.Person;
        _now = now;
        _from = from;
        _startTicks = from is null ? long.MinValue : WalletRules.DayStart(from.Day).UtcTicks;
    }

    public DayEvaluation Run()
    {
        BuildTimeline();
        MarkRepeats();
        Resume();
        MarkCardReads();
        MarkTravel();
        Walk();
        CloseAtEnd();
        RateTrips();
        WalletView view = Settle();
        return new DayEvaluation { From = _from?.Day, View = view, Checkpoints = Checkpoints() };
    }

    private void Reject(int i, string reason) => _outcome[i] = TapOutcome.Rejected(reason);

    private void Walk()
    {
        for (int i = 0; i < _count; i++)
        {
            ref Entry e = ref _entries[i];
            MarkDayStarts(i, e.Ticks);
            TapEvent ev = e.Tap.Event;
            if (ev.Type == EventTypes.TripEnd)
            {
                TripEnd(i);
                continue;
            }

            if (e.Duplicate || e.Refused)
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

        MarkDayStarts(_count, long.MaxValue);
    }
}
