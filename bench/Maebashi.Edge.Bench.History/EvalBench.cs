using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.Bench.History;

/// <summary>The evaluation figures: µs per new tap of a rider with 3 years and with a month of history.</summary>
/// <param name="Rules3y">The rules from the latest day checkpoint (what the store resumes), CPU per evaluation.</param>
/// <param name="Full3y">The rules over every fact of the 3 years (what the ingest did before day checkpoints), for comparison.</param>
/// <param name="Tap3y">The whole pipeline per tap (verify, de-duplicate, resolve, store reads, rules, durable write), process CPU.</param>
internal sealed record EvalFigures(double Rules3y, double Rules1m, double Full3y, double Tap3y, double Tap1m);

/// <summary>
/// A new tap of a rider with a long history against one with a short one. In process: a store written by the
/// generator with commuters riding for 3 years (resp. the last month) up to yesterday, opened anew (nothing of them in
/// memory), and an <see cref="IngestPipeline"/> on it as the tests build one (a clock of our own, ProcessBatch). Each
/// rider then boards and alights once today, one tap per batch: the pipeline's process CPU per tap. Then, for the same
/// riders, the rules alone as the store resumes them — <see cref="WalletRules.EvaluateDays"/> from the latest day
/// checkpoint with the facts from that day on — and, for comparison, over all their facts.
/// </summary>
internal static class EvalBench
{
    private const int Buses = 8;

    public static EvalFigures Run(bool quick, Action<string> say)
    {
        int riders = quick ? 30 : 100;
        const int WarmRiders = 5;
        string dir = Path.Combine(Path.GetTempPath(), "maebashi-bench-history-eval-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            say("");
            say($"── evaluation of a new tap: {riders} commuters with 3 years of history against {riders} with a month (in process)");
            int persons = 1 + WarmRiders + riders;
            string registryPath = Path.Combine(dir, "registry.json");
            RegistryGenerator.WriteBusFleet(registryPath, persons, persons, Buses);
            CityRegistry registry = RegistryLoader.Load(registryPath);
            (double rules3y, double full3y, double tap3y) = One(registry, Path.Combine(dir, "3y"), 3 * 365, persons, WarmRiders, say);
            (double rules1m, _, double tap1m) = One(registry, Path.Combine(dir, "1m"), 30, persons, WarmRiders, say);
            say($"rules from the checkpoint: {rules3y:F1} µs (3 years) vs {rules1m:F1} µs (a month), ratio {rules3y / rules1m:F2}; all 3 years replayed: {full3y:N0} µs");
            return new EvalFigures(rules3y, rules1m, full3y, tap3y, tap1m);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (double Rules, double Full, double Tap) One(CityRegistry registry, string dir, int days, int persons, int warm, Action<string> say)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateOnly today = WalletRules.ServiceDay(now);
        var sw = Stopwatch.StartNew();
        CityYear plan = CityYear.Plan(persons, Buses, today.AddDays(-days), today.AddDays(-1), firstPerson: 1, onlyCommuters: true);
        ulong[] seq = plan.AssignSeqs(new ulong[Buses]);
        string[] tokens = [.. Enumerable.Range(0, persons).Select(p => CityYear.TokenOf(registry, p))];
        string[] pids = [.. tokens.Select(t => registry.FindCard(t)!.Pid)];
        using (var store = new LiteDbIngestStore(dir))
        {
            StoreWriter.Write(store, registry, plan, tokens, now, _ => { });
        }

        int history = (plan.Taps.Length) / (persons - 1);
        say($"{days} days: {plan.Taps.Length:N0} taps ({history:N0} per rider) written in {sw.Elapsed.TotalSeconds:F1} s");

        // The pipeline on the store opened anew: each rider boards 40 minutes ago and alights 20 minutes ago, one tap per batch.
        using var reopened = new LiteDbIngestStore(dir);
        var clock = new SettableClock(now);
        using var metrics = new IngestMetrics(clock);
        var pipeline = new IngestPipeline(registry, reopened, clock, metrics, NullLogger.Instance);
        double cpu = 0;
        int measuredTaps = 0;
        for (int p = 1; p < persons; p++)
        {
            int d = p % Buses;
            string device = RegistryGenerator.DeviceId(d);
            byte[] key = registry.FindDevice(device)!.Key;
            DateTimeOffset board = now.AddMinutes(-40).AddSeconds(p);
            double cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds;
            Send(++seq[d], EventTypes.Board, board, "S01");
            Send(++seq[d], EventTypes.Alight, board.AddMinutes(20), "S04");
            if (p > warm)
            {
                cpu += Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds - cpu0;
                measuredTaps += 2;
            }

            void Send(ulong s, string type, DateTimeOffset at, string stop)
            {
                byte[] payload = Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["device"] = device,
                    ["events"] = new JsonArray(BusTapJson.Tap(s, type, at, tokens[p], registry.FindDevice(device)!.Def.Vehicle!, stop)),
                }.ToJsonString());
                clock.Now = at.AddSeconds(5);
                BatchOutcome o = pipeline.ProcessBatch(Topics.Events(device), payload, DeviceAuth.ComputeMac(key, payload));
                if (o.IsRejected || o.Ack!.Results[0].Status != ResultStatus.Applied)
                {
                    throw new InvalidOperationException($"{device} seq {s}: {o.RejectedReason ?? o.Ack!.Results[0].Status + " " + o.Ack.Results[0].Reason}");
                }
            }
        }

        double tap = cpu / measuredTaps;

        // The rules alone: from the checkpoint the store resumes a new tap of today at, every rider first; then from
        // the first fact, one rider's whole history at a time (megabytes of facts and garbage for 3 years, which
        // would otherwise be in the heap during the other measurement).
        double rules = 0, full = 0;
        int fromCheckpoint = 0, all = 0;
        for (int p = 1 + warm; p < persons; p++)
        {
            string pid = pids[p];
            (PersonHistory resumed, DayCheckpoint? cp) = reopened.Write(w =>
            {
                // Where the pipeline resumed the rider's last new tap (the alight): the checkpoint of the first day it can change.
                IReadOnlyList<TapRecord> recent = w.TapsOfPerson(pid, WalletRules.DayStart(today.AddDays(-1)));
                DayCheckpoint? c = w.CheckpointFor(pid, WalletRules.ReplayFrom(registry, recent[^1].ToStoredTap()));
                DateTimeOffset start = c is null ? DateTimeOffset.MinValue : WalletRules.DayStart(c.Day);
                return (History(w, pid, start), c);
            });
            fromCheckpoint += resumed.Taps.Count;
            rules += Cpu(() => WalletRules.EvaluateDays(registry, resumed, cp, clock.Now), TimeSpan.FromMilliseconds(100));
        }

        for (int p = 1 + warm; p < persons; p++)
        {
            PersonHistory whole = reopened.Write(w => History(w, pids[p], DateTimeOffset.MinValue));
            all += whole.Taps.Count;
            full += Cpu(() => WalletRules.EvaluateDays(registry, whole, null, clock.Now), TimeSpan.FromMilliseconds(100));
        }

        // A rider's facts from a day's start on, as the store hands them to the rules.
        PersonHistory History(IIngestWrite w, string pid, DateTimeOffset start) => new()
        {
            Person = registry.FindPerson(pid)!,
            Taps = [.. w.TapsOfPerson(pid, start).Select(t => t.ToStoredTap())],
            TripEnds = [],
            ValueChanges = [.. w.ValueChangesOf(pid, start)],
        };

        int measured = persons - 1 - warm;
        rules /= measured;
        full /= measured;
        say($"{days} days: pipeline CPU {tap:F0} µs per tap over {measuredTaps} taps; rules from the latest checkpoint {rules:F1} µs ({(double)fromCheckpoint / measured:F1} facts replayed), over every fact {full:N0} µs ({(double)all / measured:N0} facts)");
        return (rules, full, tap);
    }

    /// <summary>
    /// The calling thread's CPU per call, in µs, calling <paramref name="work"/> (after one untimed call) for at least
    /// <paramref name="atLeast"/> of wall time and 3 calls.
    /// </summary>
    private static double Cpu(Func<DayEvaluation> work, TimeSpan atLeast)
    {
        work();
        var wall = Stopwatch.StartNew();
        double cpu0 = ThreadCpuClock.Microseconds();
        int times = 0;
        while (times < 3 || wall.Elapsed < atLeast)
        {
            work();
            times++;
        }

        return (ThreadCpuClock.Microseconds() - cpu0) / times;
    }

    /// <summary>The ingest's clock, set by the bench before each batch.</summary>
    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
