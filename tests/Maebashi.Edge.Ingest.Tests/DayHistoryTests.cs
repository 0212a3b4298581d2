using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// Issue 13 through the pipeline and the LiteDB store: an evaluation starts at the stored checkpoint of the first
/// service day the new facts can change and reads only the taps from that day on; the wallet stays the full replay's.
/// </summary>
[Trait("Category", "History")]
public sealed class DayHistoryTests
{
    private const string Uid = "04A1B2C3D4E5F6";
    private const string Pid = "P0001";

    private static DateTimeOffset Day(int day, int h, int m) => new DateTimeOffset(2026, 11, 1, h, m, 0, TestKit.Jst).AddDays(day - 1);

    /// <summary>What each evaluation of the person started from and read: the rules seam of the pipeline.</summary>
    internal sealed class Reads
    {
        public List<(DateOnly? From, IReadOnlyList<StoredTap> Taps)> Evaluations { get; } = [];

        public WalletEvaluator Evaluator => (registry, history, from, now) =>
        {
            Evaluations.Add((from?.Day, history.Taps));
            return WalletRules.EvaluateDays(registry, history, from, now);
        };

        public (DateOnly? From, IReadOnlyList<StoredTap> Taps) Last => Evaluations[^1];
    }

    /// <summary>Commutes on days <paramref name="first"/>..<paramref name="last"/>: board S01 08:00, alight S05 08:20, the clock at 09:00.</summary>
    internal static ulong Commute(PipelineKit kit, int first, int last, ulong seq)
    {
        for (int d = first; d <= last; d++)
        {
            kit.Time.SetUtcNow(Day(d, 9, 0));
            kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(d, 8, 0), "S01"), TestKit.Alight(++seq, Uid, Day(d, 8, 20), "S05"));
        }

        return seq;
    }

    /// <summary>The wallet the full replay of every stored fact gives, against the one the store keeps.</summary>
    internal static void AssertFullReplay(PipelineKit kit)
    {
        IReadOnlyList<TapRecord> all = kit.Store.Write(w => w.TapsOfPerson(Pid, DateTimeOffset.MinValue));
        IReadOnlyList<ValueChange> changes = kit.Store.Write(w => w.ValueChangesOf(Pid, DateTimeOffset.MinValue));
        WalletView oracle = WalletRules.Evaluate(
            TestKit.Registry,
            new PersonHistory { Person = TestKit.Registry.FindPerson(Pid)!, Taps = [.. all.Select(t => t.ToStoredTap())], TripEnds = [], ValueChanges = [.. changes] },
            kit.Time.GetUtcNow());
        PersonState kept = kit.Pipeline.WalletOf(Pid);
        Assert.Equal(oracle.Value, kept.Value);
        Assert.Equal(oracle.Points, kept.Points);
        Assert.Equal(JsonSerializer.Serialize(oracle.Trips), JsonSerializer.Serialize(kit.Store.AllTrips(Pid)));
        Assert.Equal(oracle.Value, kit.Store.EntriesOf(Pid).Sum(e => e.Value));

        // The postings kept by day are those of a full replay: the next late fact is diffed against them.
        IReadOnlyList<Posting> settled = kit.Store.Write(w => w.SettledFrom(Pid, DateOnly.MinValue)).Postings;
        Assert.Equal(oracle.Postings.Select(p => (p.Key, p.Value, p.Points, p.At)).Order(), settled.Select(p => (p.Key, p.Value, p.Points, p.At)).Order());
    }

    [Fact]
    public void A_new_tap_reads_only_its_own_day_and_a_late_one_starts_at_the_checkpoint_of_its_day()
    {
        var reads = new Reads();
        using var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), evaluate: reads.Evaluator);
        ulong seq = Commute(kit, 1, 20, 0);

        // Day 5, 18:00: a board whose alight is not in yet; by day 21 the clock has closed it at the highest fare.
        kit.Time.SetUtcNow(Day(21, 7, 0));
        kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(5, 18, 0), "S01"));
        Assert.Equal(new DateOnly(2026, 11, 5), reads.Last.From);

        // A tap of today, after the day's first: from today's checkpoint, reading today's taps only.
        kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(21, 6, 30), "S01"));
        kit.Send("BUS0042", TestKit.Alight(++seq, Uid, Day(21, 6, 50), "S05"));
        Assert.Equal(new DateOnly(2026, 11, 21), reads.Last.From);
        Assert.Equal(2, reads.Last.Taps.Count);

        // The late alight of day 5: from day 5's checkpoint, nothing before that day read; re-rated with an adjustment.
        long before = kit.Pipeline.WalletOf(Pid).Value;
        kit.Send("BUS0042", TestKit.Alight(++seq, Uid, Day(5, 18, 20), "S03"));
        Assert.Equal(new DateOnly(2026, 11, 5), reads.Last.From);
        Assert.All(reads.Last.Taps, t => Assert.True(t.Event.At >= WalletRules.DayStart(new DateOnly(2026, 11, 5))));
        Assert.True(kit.Pipeline.WalletOf(Pid).Value > before, "the late alight lowers the fare of day 5's trip");
        Assert.Contains(kit.Store.EntriesOf(Pid), e => e.Adjustment && e.Value > 0);
        AssertFullReplay(kit);
    }

    [Fact]
    public void A_restart_puts_together_the_trips_each_unit_logged_for_the_days_it_replayed()
    {
        string dir = TestKit.TempDir();
        string before;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir))
        {
            ulong seq = Commute(kit, 1, 6, 0);
            kit.Time.SetUtcNow(Day(7, 9, 0));
            kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(3, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(3, 18, 20), "S05"));
            kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(7, 8, 0), "S01"));
            before = kit.Wallets();
            Assert.Equal(8, kit.Store.AllTrips(Pid).Count);
        }

        using var again = new PipelineKit(new FakeTimeProvider(Day(7, 9, 0)), dir);
        Assert.Equal(before, again.Wallets());
    }

    [Fact]
    public void After_a_restart_a_person_is_evaluated_from_the_latest_checkpoints_logged_with_its_state()
    {
        string dir = TestKit.TempDir();
        ulong seq;
        using (var kit = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir, snapshotEvery: 3))
        {
            seq = Commute(kit, 1, 6, 0);
        }

        // Without the stored checkpoints, only what the person log and the snapshot hold can say where to start.
        using (var files = new DurableLiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            Assert.True(LegacyStores.RemovePersonDayPart(files.Db, "c") > 0);
        }

        var reads = new Reads();
        using var again = new PipelineKit(new FakeTimeProvider(Day(6, 9, 30)), dir, evaluate: reads.Evaluator);
        again.Send("BUS0042", TestKit.Board(++seq, Uid, Day(6, 9, 10), "S01"));
        Assert.Equal(new DateOnly(2026, 11, 6), reads.Last.From);
        Assert.Equal(3, reads.Last.Taps.Count);
        AssertFullReplay(again);
    }

    [Fact]
    public void A_store_written_before_day_checkpoints_replays_a_person_in_full_once_then_from_the_checkpoints()
    {
        // The store as the version before issue 13 left it: states, entries and taps, no checkpoint anywhere (every
        // evaluation replayed every fact).
        string dir = TestKit.TempDir();
        ulong seq;
        WalletEvaluator before = (registry, history, from, now) =>
            new DayEvaluation { From = null, View = WalletRules.Evaluate(registry, history, now), Checkpoints = [] };
        using (var old = new PipelineKit(new FakeTimeProvider(Day(1, 9, 0)), dir, evaluate: before))
        {
            seq = Commute(old, 1, 5, 0);
        }

        var reads = new Reads();
        using var kit = new PipelineKit(new FakeTimeProvider(Day(6, 9, 0)), dir, evaluate: reads.Evaluator);
        kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(6, 8, 0), "S01"));
        Assert.Null(reads.Last.From);
        Assert.Equal(11, reads.Last.Taps.Count);

        kit.Send("BUS0042", TestKit.Alight(++seq, Uid, Day(6, 8, 20), "S05"));
        Assert.Equal(new DateOnly(2026, 11, 6), reads.Last.From);
        kit.Send("BUS0042", TestKit.Board(++seq, Uid, Day(3, 18, 0), "S01"), TestKit.Alight(++seq, Uid, Day(3, 18, 20), "S05"));
        Assert.Equal(new DateOnly(2026, 11, 3), reads.Last.From);
        AssertFullReplay(kit);
    }
}

/// <summary>
/// Issue 13, the pipeline and the store over many days: taps of several persons over eight days, delivered in
/// batches in time order and in a random order (late batches landing in any day), give the same wallets, check-ins
/// and entries, and each person's wallet is the full replay of their stored facts.
/// </summary>
[Trait("Category", "History")]
public sealed class DayHistoryOrderTests
{
    private static readonly string[] Uids = ["04A1B2C3D4E5F6", "DEADBEEF", "CAFEBABE", "0101120012345678", "04C0FFEE123456"];
    private static readonly string[] R01 = ["S01", "S02", "S03", "S05", "S07"];
    private static readonly string[] R02 = ["M01", "M02", "M03"];
    internal static readonly DateTimeOffset First = new(2026, 11, 20, 0, 0, 0, TestKit.Jst);

    internal sealed record Batch(string Device, JsonObject[] Events, DateTimeOffset Newest);

    /// <summary>Eight days of taps of five persons on two buses and a clinic, in batches per device (also the PostgreSQL store's scenario).</summary>
    internal static List<Batch> Generate(Random random)
    {
        var byDevice = new Dictionary<string, List<(DateTimeOffset At, Func<ulong, JsonObject> Make)>>
        {
            ["BUS0042"] = [], ["BUS0043"] = [], ["CLN01"] = [],
        };
        int queues = 0;
        for (int day = 0; day < 8; day++)
        {
            foreach (string uid in Uids.Where(_ => random.Next(3) > 0))
            {
                // From 02:00 (the service day before) on, so trips and repeats cross 03:00.
                DateTimeOffset at = First.AddDays(day).AddHours(2).AddMinutes(random.Next(0, 16 * 60));
                for (int trip = random.Next(1, 4); trip > 0; trip--)
                {
                    bool r02 = random.Next(3) == 0;
                    string device = r02 ? "BUS0043" : "BUS0042";
                    string[] stops = r02 ? R02 : R01;
                    (string route, string vehicle) = r02 ? ("R02", "V0043") : ("R01", "V0042");
                    DateTimeOffset board = at;
                    string from = stops[random.Next(stops.Length)];
                    byDevice[device].Add((board, seq => TestKit.Board(seq, uid, board, from, route, vehicle)));
                    DateTimeOffset alight = board.AddMinutes(random.Next(5, 50));
                    if (random.Next(5) > 0)
                    {
                        string to = stops[random.Next(stops.Length)];
                        byDevice[device].Add((alight, seq => TestKit.Alight(seq, uid, alight, to, route, vehicle)));
                    }

                    at = alight.AddMinutes(random.Next(2, 90));
                }

                if (random.Next(6) == 0)
                {
                    // The vehicle's service ends: it closes the trips of everyone still aboard.
                    DateTimeOffset end = at.AddMinutes(random.Next(-60, 60));
                    byDevice["BUS0043"].Add((end, seq => new JsonObject { ["seq"] = seq, ["type"] = "trip_end", ["at"] = TestKit.At(end), ["ctx"] = new JsonObject { ["vehicle"] = "V0043" } }));
                }

                if (random.Next(4) == 0)
                {
                    DateTimeOffset visit = First.AddDays(day).AddMinutes(random.Next(0, 20 * 60));
                    int queue = ++queues; // reception hands out each number once
                    byDevice["CLN01"].Add((visit, seq => TestKit.Checkin(seq, uid, visit, "C01", queue)));
                }
            }
        }

        var batches = new List<Batch>();
        foreach ((string device, var events) in byDevice)
        {
            var ordered = events.OrderBy(e => e.At).ToList();
            ulong seq = 0;
            for (int i = 0; i < ordered.Count;)
            {
                var part = ordered.Skip(i).Take(random.Next(1, 5)).ToList();
                batches.Add(new Batch(device, [.. part.Select(e => e.Make(++seq))], part.Max(e => e.At)));
                i += part.Count;
            }
        }

        return batches;
    }

    private static string Deliver(IEnumerable<Batch> batches, DateTimeOffset end)
    {
        var clock = new FakeTimeProvider(First);
        using var kit = new PipelineKit(clock);
        foreach (Batch b in batches)
        {
            if (b.Newest > clock.GetUtcNow())
            {
                clock.SetUtcNow(b.Newest);
            }

            kit.Send(b.Device, b.Events);
            kit.Pipeline.CloseDueTrips();
        }

        clock.SetUtcNow(end);
        kit.Pipeline.CloseDueTrips();
        foreach (string pid in TestKit.Pids)
        {
            (IReadOnlyList<TapRecord> all, IReadOnlyList<TapRecord> ends) = kit.Store.Write(w =>
                (w.TapsOfPerson(pid, DateTimeOffset.MinValue), w.TripEnds("V0043", DateTimeOffset.MinValue, DateTimeOffset.MaxValue)));
            WalletView oracle = WalletRules.Evaluate(
                TestKit.Registry,
                new PersonHistory { Person = TestKit.Registry.FindPerson(pid)!, Taps = [.. all.Select(t => t.ToStoredTap())], TripEnds = [.. ends.Select(t => t.ToStoredTap())], ValueChanges = [] },
                end);
            PersonState kept = kit.Pipeline.WalletOf(pid);
            Assert.Equal((oracle.Value, oracle.Points, JsonSerializer.Serialize(oracle.Trips)), (kept.Value, kept.Points, JsonSerializer.Serialize(kit.Store.AllTrips(pid))));
        }

        var checkIns = Enumerable.Range(-1, 10).Select(d => JsonSerializer.Serialize(kit.Store.CheckIns("C01", DateOnly.FromDateTime(First.AddDays(d).DateTime))));
        return kit.Wallets() + "\n" + string.Join('\n', checkIns);
    }

    [Fact]
    public void Eight_days_delivered_in_any_order_give_the_wallets_of_the_in_order_delivery_and_of_the_full_replay()
    {
        for (int seed = 1; seed <= 8; seed++)
        {
            var random = new Random(seed);
            List<Batch> batches = Generate(random);
            DateTimeOffset end = First.AddDays(10);
            string inOrder = Deliver(batches.OrderBy(b => b.Newest), end);
            string shuffled = Deliver(batches.OrderBy(_ => random.Next()), end);
            Assert.Equal(inOrder, shuffled);
        }
    }
}
