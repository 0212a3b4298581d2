using CsCheck;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using static Maebashi.Edge.Ingest.Rules.Tests.OrderIndependenceProperty;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>
/// Issue 13: a person's wallet is settled by service day, and a new or late fact is evaluated from the checkpoint
/// of the first day it can change, with only the facts of that day on. The oracle is the full replay
/// (<see cref="WalletRules.Evaluate"/> over every fact): after every batch of a random arrival order over ten days
/// — late taps landing in any day, trips across 03:00, the clock closing trips — the wallet kept day by day is
/// exactly the full replay's, and the entries written for the replayed days add up to it.
/// </summary>
[Trait("Category", "History")]
public class DayCheckpointProperty
{
    // One fact in five in slot 60, astride 03:00: repeats and trips across the boundary are what a checkpoint carries.
    private static readonly Gen<FactSpec> GenFact =
        Gen.Select(Gen.Int[0, 10], Gen.Int[0, 9], Gen.Int[0, 75], Gen.Int[0, 14], Gen.Int[0, 1], Gen.Int[0, 1000], Gen.Int[0, 9], Gen.Int[0, 1000])
            .Select((kind, day, slot, second, card, pick, deny, extra) => new FactSpec(kind, day, Math.Min(slot, 60), second, card, pick, deny == 0, extra));

    private static readonly Gen<(int Person, FactSpec[] Facts, int Seed)> GenCase =
        Gen.Select(Gen.Int[0, Pids.Length - 1], GenFact.Array[1, 90], Gen.Int);

    /// <summary>The ingest's clock at successive batches: never backwards, from mid-first-day to long after the last fact.</summary>
    private static readonly DateTimeOffset[] Clock =
    [
        Jst.At("2026-12-01 10:00"), Jst.At("2026-12-02 12:00"), Jst.At("2026-12-04 08:00"), Jst.At("2026-12-06 20:00"),
        Jst.At("2026-12-09 09:00"), Jst.At("2026-12-11 04:00"), Jst.At("2026-12-20 00:00"),
    ];

    [Fact]
    public void Evaluating_from_day_checkpoints_gives_the_full_replay_wherever_late_facts_land() => Check(withCardReads: false);

    /// <summary>
    /// Issue 15: the same with the cards' SUN reads — counters mostly rising, some replayed or stale, some reads
    /// without a SUN — so that which read is the clone read, decided from a checkpoint, is the full replay's.
    /// </summary>
    [Fact]
    [Trait("Category", "CardAuth")]
    public void Clone_reads_found_from_day_checkpoints_are_the_full_replays() => Check(withCardReads: true);

    private static void Check(bool withCardReads)
    {
        int evaluations = 0, fromCheckpoint = 0, intoEarlierDay = 0, carriedTrips = 0, cloneSignals = 0;
        GenCase.Sample(c =>
        {
            PersonHistory all = Build(c.Person, c.Facts);
            if (withCardReads)
            {
                all = WithCardReads(all, c.Seed);
            }

            var random = new Random(c.Seed);

            // The store keeps one top-up per receipt (a second is refused), so the arrivals hold each once.
            List<object> arrivals = [.. all.Taps, .. all.TripEnds, .. all.ValueChanges.GroupBy(t => t.Key).Select(g => g.OrderBy(t => t.At).ThenBy(t => t.Amount).First())];
            for (int i = arrivals.Count - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (arrivals[i], arrivals[j]) = (arrivals[j], arrivals[i]);
            }

            var kept = new DaySettledWallet(all.Person);
            int clock = 0;
            for (int next = 0; next < arrivals.Count;)
            {
                int take = random.Next(1, 6);
                clock = Math.Max(clock, random.Next(Clock.Length));
                DayEvaluation step = kept.Apply(arrivals.Skip(next).Take(take).ToList(), Clock[clock]);
                next = Math.Min(arrivals.Count, next + take);

                evaluations++;
                if (step.From is { } from)
                {
                    fromCheckpoint++;
                    if (kept.LatestDay is { } latest && from < latest)
                    {
                        intoEarlierDay++;
                    }
                }

                carriedTrips += step.Checkpoints.Count(p => p.LastTrip is { OpenAtStart: true });
                cloneSignals += step.View.CloneSignals.Count;
                WalletView oracle = WalletRules.Evaluate(OrderIndependenceProperty.World.Value, kept.AllFacts(), Clock[clock]);
                string want = Dump(oracle);
                string got = Dump(kept.View);
                if (want != got)
                {
                    throw new InvalidOperationException($"evaluated from {step.From} after {next} of {arrivals.Count} facts, the kept wallet is not the full replay\n--- full replay\n{want}\n--- by day\n{got}");
                }

                if (kept.EntriesValue != oracle.Value || kept.EntriesPoints != oracle.Points)
                {
                    throw new InvalidOperationException($"the entries add up to {kept.EntriesValue} yen {kept.EntriesPoints} pt, not {oracle.Value} yen {oracle.Points} pt");
                }
            }
        }, iter: 300, threads: 1);

        // A property that always replays from the beginning, or never from before the latest day, proves little.
        Assert.True(fromCheckpoint > evaluations / 2, $"{fromCheckpoint} of {evaluations} evaluations started at a checkpoint");
        Assert.True(intoEarlierDay > evaluations / 10, $"{intoEarlierDay} of {evaluations} evaluations started at an earlier day than the latest");
        Assert.True(carriedTrips > 20, $"{carriedTrips} checkpoints carried a trip open across 03:00");
        if (withCardReads)
        {
            Assert.True(cloneSignals > evaluations / 10, $"{cloneSignals} clone signals in {evaluations} evaluations");
        }
    }

    /// <summary>
    /// Gives each card tap what intake would have found: one in ten without a SUN message, the others a counter that
    /// rises with event time, except one in eight replayed (a counter from well before) and some close together.
    /// </summary>
    private static PersonHistory WithCardReads(PersonHistory h, int seed)
    {
        var random = new Random(seed);
        var ranked = h.Taps.Where(t => t.Event.Card is not null).OrderBy(t => t.Event.At).ThenBy(t => t.Device, StringComparer.Ordinal).ThenBy(t => t.Seq).ToList();
        var reads = new Dictionary<StoredTap, StoredTap>(ReferenceEqualityComparer.Instance);
        for (int rank = 0; rank < ranked.Count; rank++)
        {
            int roll = random.Next(100);
            reads[ranked[rank]] = roll < 10
                ? ranked[rank] with { Auth = CardReadAuth.Missing }
                : ranked[rank] with { Auth = CardReadAuth.Verified, SunCounter = 100 + rank * 2 - (roll < 22 ? random.Next(1, 40) : 0) };
        }

        return new PersonHistory
        {
            Person = h.Person,
            Taps = [.. h.Taps.Select(t => reads.GetValueOrDefault(t, t))],
            TripEnds = h.TripEnds,
            ValueChanges = h.ValueChanges,
        };
    }

    /// <summary>
    /// What the store keeps of one person, as the ingest will: the facts, the checkpoint of each day, and the trips,
    /// postings, check-ins, participations and outcomes by day; each evaluation replaces the days it replayed.
    /// </summary>
    private sealed class DaySettledWallet(PersonEntry person)
    {
        private readonly List<StoredTap> _taps = [];
        private readonly List<StoredTap> _tripEnds = [];
        private readonly List<ValueChange> _topUps = [];
        private readonly List<DayCheckpoint> _checkpoints = [];
        private List<Trip> _trips = [];
        private List<Posting> _postings = [];
        private List<CheckIn> _checkIns = [];
        private List<Participation> _participations = [];
        private readonly Dictionary<StoredTapRef, TapOutcome> _outcomes = [];

        public WalletView View { get; private set; } = new();

        public long EntriesValue { get; private set; }

        public long EntriesPoints { get; private set; }

        public DateOnly? LatestDay => _checkpoints.Count == 0 ? null : _checkpoints[^1].Day;

        public PersonHistory AllFacts() => new() { Person = person, Taps = _taps, TripEnds = _tripEnds, ValueChanges = _topUps };

        public DayEvaluation Apply(IReadOnlyList<object> batch, DateTimeOffset now)
        {
            CityRegistry registry = OrderIndependenceProperty.World.Value;
            DateOnly replay = DateOnly.MaxValue;
            foreach (object fact in batch)
            {
                DateOnly day;
                switch (fact)
                {
                    case ValueChange t:
                        _topUps.Add(t);
                        day = WalletRules.ReplayFrom(t);
                        break;
                    case StoredTap { Event.Card: null } end:
                        _tripEnds.Add(end);
                        day = WalletRules.ReplayFrom(registry, end);
                        break;
                    default:
                        _taps.Add((StoredTap)fact);
                        day = WalletRules.ReplayFrom(registry, (StoredTap)fact);
                        break;
                }

                replay = day < replay ? day : replay;
            }

            // A trip left open closes by the clock: its fare is posted at its board.
            if (View.ReviewAt is { } review && WalletRules.ServiceDay(review - RuleWindows.Trip) < replay)
            {
                replay = WalletRules.ServiceDay(review - RuleWindows.Trip);
            }

            DayCheckpoint? from = WalletRules.Resume(_checkpoints, replay);
            DateTimeOffset start = from is null ? DateTimeOffset.MinValue : WalletRules.DayStart(from.Day);

            // Only the facts of the replayed days, as the store will read them by day.
            var slice = new PersonHistory
            {
                Person = person,
                Taps = [.. _taps.Where(t => t.Event.At >= start)],
                TripEnds = [.. _tripEnds.Where(t => t.Event.At >= start)],
                ValueChanges = [.. _topUps.Where(t => t.At >= start)],
            };
            DayEvaluation d = WalletRules.EvaluateDays(registry, slice, from, now);

            // The entries the ingest writes: the difference over the replayed days only.
            foreach (PostingChange change in PostingDiff.Changes([.. _postings.Where(p => p.At >= start)], d.View.Postings))
            {
                EntriesValue += change.Value;
                EntriesPoints += change.Points;
            }

            _checkpoints.RemoveAll(p => from is null || p.Day > from.Day);
            _checkpoints.AddRange(d.Checkpoints);
            _trips = [.. _trips.Where(t => (t.BoardAt ?? t.AlightAt) < start), .. d.View.Trips];
            _postings = [.. _postings.Where(p => p.At < start), .. d.View.Postings];
            _checkIns = [.. _checkIns.Where(c => c.At < start), .. d.View.CheckIns];
            _participations = [.. _participations.Where(p => p.In < start), .. d.View.Participations];
            foreach (KeyValuePair<StoredTapRef, TapOutcome> o in d.View.Outcomes)
            {
                _outcomes[o.Key] = o.Value;
            }

            View = new WalletView
            {
                Value = d.View.Value,
                Points = d.View.Points,
                PointsBus = d.View.PointsBus,
                PointsVolunteer = d.View.PointsVolunteer,
                PointsHealth = d.View.PointsHealth,
                InDebt = d.View.InDebt,
                ReviewAt = d.View.ReviewAt,
                Trips = _trips,
                Postings = _postings,
                CheckIns = _checkIns,
                Participations = _participations,
                Outcomes = new Dictionary<StoredTapRef, TapOutcome>(_outcomes),
            };
            return d;
        }
    }
}

/// <summary>Where an evaluation by day starts (issue 13): the 03:00 boundary, the trip window, an open trip.</summary>
[Trait("Category", "History")]
public class DayCheckpointTests
{
    private static StoredTap Board(string at, ulong seq) => new("BUS-A", seq, new Maebashi.Edge.Contract.Messages.TapEvent
    {
        Seq = seq,
        Type = Maebashi.Edge.Contract.Messages.EventTypes.Board,
        At = Jst.At(at),
        Card = new Maebashi.Edge.Contract.Messages.CardRef { Tok = OrderIndependenceProperty.World.Value.CardsOf("A")[0].Token, Tech = "felica" },
        Ctx = new Maebashi.Edge.Contract.Messages.TapContext { Route = "Z9", Vehicle = "VA", Stop = "A" },
        Decision = Maebashi.Edge.Contract.Messages.Decisions.Accept,
    });

    [Fact]
    public void A_service_day_starts_at_03_00_JST_and_a_tap_reaches_back_over_the_trip_window()
    {
        Assert.Equal(Jst.At("2026-12-05 03:00"), WalletRules.DayStart(new DateOnly(2026, 12, 5)));
        CityRegistry reg = OrderIndependenceProperty.World.Value;

        // A board at 05:59 may close a trip boarded before 03:00, whose fare is the day before's; at 06:01 it cannot.
        Assert.Equal(new DateOnly(2026, 12, 4), WalletRules.ReplayFrom(reg, Board("2026-12-05 05:59", 1)));
        Assert.Equal(new DateOnly(2026, 12, 5), WalletRules.ReplayFrom(reg, Board("2026-12-05 06:01", 2)));
        Assert.Equal(new DateOnly(2026, 12, 4), WalletRules.ReplayFrom(new ValueChange("R-1", 1000, Jst.At("2026-12-05 02:59"))));
    }

    [Fact]
    public void A_day_that_starts_with_a_trip_still_open_is_not_evaluated_from()
    {
        CityRegistry reg = OrderIndependenceProperty.World.Value;
        PersonEntry a = reg.FindPerson("A")!;

        // Boarded at 02:50 and not closed by 04:00 (a top-up at 03:30 is the day's only other fact): the fare,
        // posted on 12-04, is not known yet.
        var history = new PersonHistory { Person = a, Taps = [Board("2026-12-05 02:50", 1)], TripEnds = [], ValueChanges = [new ValueChange("R-1", 1000, Jst.At("2026-12-05 03:30"))] };
        DayEvaluation early = WalletRules.EvaluateDays(reg, history, null, Jst.At("2026-12-05 04:00"));
        DayCheckpoint fifth = Assert.Single(early.Checkpoints, c => c.Day == new DateOnly(2026, 12, 5));
        Assert.False(fifth.CanResume);
        Assert.Throws<ArgumentException>(() => WalletRules.EvaluateDays(reg, history, fifth, Jst.At("2026-12-05 04:00")));
        Assert.Equal(early.Checkpoints[0], WalletRules.Resume(early.Checkpoints, new DateOnly(2026, 12, 5)));

        // Once the 07:00 board closed it (missing tap-off), the 12-05 checkpoint carries it closed with its fare.
        history = new PersonHistory { Person = a, Taps = [.. history.Taps, Board("2026-12-05 07:00", 2)], TripEnds = [], ValueChanges = history.ValueChanges };
        DayEvaluation later = WalletRules.EvaluateDays(reg, history, null, Jst.At("2026-12-05 08:00"));
        DayCheckpoint closed = Assert.Single(later.Checkpoints, c => c.Day == new DateOnly(2026, 12, 5));
        Assert.True(closed.CanResume);
        Assert.Equal(TripClose.MissingTapOff, closed.LastTrip!.Close);
        Assert.Equal(closed.LastTrip.Charge, -closed.Value + a.Def.OpeningValue);
    }
}
