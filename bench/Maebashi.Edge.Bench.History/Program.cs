using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Bench.History;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.TestSupport;

// One year of a 340,000-person city (issue 13 item 5; docs/benchmarks.md, "One year of a 340,000-person city"):
//  1. the store: one year of taps (about 11 million: daily commuters among occasional riders) written through the
//     store's own unit-of-work API, kept under a cache directory and reused by later runs (a marker file, written
//     last, says it is complete);
//  2. on a copy of it, the ingest end to end over its embedded broker: events/s for new taps of the current day and for
//     a backlog of taps of 3 days ago, resident memory after opening the store and after the run; the same on an empty
//     store for comparison (each in a process of its own, so that resident memory is the ingest's alone);
//  3. the evaluation of a new tap of a rider with 3 years of history against one with a month: the rules from the
//     latest day checkpoint, as the store resumes them, and the whole pipeline's CPU per tap.
// Options: --quick (34,000 persons, a tenth of the taps), --persons N, --cache DIR, --regenerate.
string? phase = Option("--phase");
if (phase is not null and not "generate")
{
    // A measuring child (see MeasureChild): the ingest on one store.
    return await IngestRun.RunAsync(phase, Option("--registry")!, Option("--store"), int.Parse(Option("--persons")!, CultureInfo.InvariantCulture),
        args.Contains("--quick"));
}

bool quick = args.Contains("--quick");
int persons = Option("--persons") is { } given ? int.Parse(given, CultureInfo.InvariantCulture) : quick ? 34_000 : 340_000;
int cards = (int)((long)persons * 1_000_000 / 340_000);
const int Buses = 64;

// Bump when what the generator writes changes: a cached store of another version is not reused (v2: top-ups keyed by
// person and time; v3: a person's taps, settled day and checkpoint in one day document).
const string GeneratorVersion = "v3";
string cacheRoot = Option("--cache") ?? Path.Combine(
    Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
    "maebashi-edge");
string cache = Path.Combine(cacheRoot, $"bench-history-{persons}-{GeneratorVersion}");
string marker = Path.Combine(cache, "generated.json");
string registryPath = Path.Combine(cache, "registry.json");
string storeDir = Path.Combine(cache, "store");

if (phase == "generate")
{
    // The generating child (see GenerateInChildAsync).
    Generate();
    return 0;
}

Console.WriteLine($"One-year store benchmark{(quick ? " (--quick)" : "")}: {persons:N0} persons, {cards:N0} cards, {Buses} buses; {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"cache: {cache}");

// 1. The store: reused when a complete one is cached, else generated.
bool reused = File.Exists(marker) && !args.Contains("--regenerate");
JsonObject generated;
if (reused)
{
    generated = JsonNode.Parse(File.ReadAllText(marker))!.AsObject();
    Console.WriteLine($"reusing the store generated {generated["generated_at"]} in {(double)generated["generate_s"]!:F0} s: {(long)generated["taps"]!:N0} taps of {(long)generated["persons"]!:N0} persons, service days {generated["first_day"]} to {generated["last_day"]}");
}
else
{
    generated = await GenerateInChildAsync();
}

// 2. The ingest on an empty store, then on a copy of the year's, each in its own process.
Dictionary<string, double> empty = await MeasureChild("empty", null);
Dictionary<string, double> year = await MeasureChild("year", storeDir);

// 3. The evaluation per tap: 3 years against a month of history.
EvalFigures eval = EvalBench.Run(quick, Console.WriteLine);

double storeMib = Directory.EnumerateFiles(storeDir).Sum(f => new FileInfo(f).Length) / 1_048_576.0;
double generateSeconds = (double)generated["generate_s"]!;
double today = year.GetValueOrDefault("today_events_per_s"), backlog = year.GetValueOrDefault("backlog_events_per_s");
double rss = new[] { "rss_open_mib", "rss_mib", "rss_snapshot_mib" }.Max(k => year.GetValueOrDefault(k));
Console.WriteLine();
Console.WriteLine("| figure | measured | budget |");
Console.WriteLine("|---|---:|---|");
Console.WriteLine(Row("store generated", $"{generateSeconds:F0} s{(reused ? " (earlier run, reused)" : "")}", "≤ 600 s", generateSeconds <= 600));
Console.WriteLine(Row("ingest events/s, today's taps", $"{today:N0} (empty store {empty.GetValueOrDefault("today_events_per_s"):N0})", "≥ 20,000", today >= 20_000));
Console.WriteLine(Row("ingest events/s, 3-day-old backlog", $"{backlog:N0} (empty store {empty.GetValueOrDefault("backlog_events_per_s"):N0})", "≥ 10,000", backlog >= 10_000));
Console.WriteLine(Row("evaluation of a new tap, 3 years of history", $"{eval.Rules3y:F1} µs (a month: {eval.Rules1m:F1} µs)", "≤ 100 µs, ≤ 2× a month", eval.Rules3y <= 100 && eval.Rules3y <= 2 * eval.Rules1m));
Console.WriteLine(Row("pipeline CPU per tap, 3 years of history", $"{eval.Tap3y:F0} µs (a month: {eval.Tap1m:F0} µs)", "(context)", null));
Console.WriteLine(Row("ingest resident memory, one-year store", $"{rss:F0} MiB (empty store {empty.GetValueOrDefault("rss_mib"):F0} MiB)", "≤ 1,024 MiB", rss <= 1024));
Console.WriteLine();

// Last line: the figures as JSON, for `maebashi-edge bench`.
var json = new JsonObject
{
    ["history_store_persons"] = persons,
    ["history_store_cards"] = cards,
    ["history_store_taps"] = (long)generated["taps"]!,
    ["history_store_generate_s"] = Math.Round(generateSeconds, 1),
    ["history_store_reused"] = reused ? 1 : 0,
    ["history_store_mib"] = Math.Round(storeMib),
    ["history_store_copy_s"] = Math.Round(year.GetValueOrDefault("copy_s"), 1),
    ["history_ingest_ready_s"] = Math.Round(year.GetValueOrDefault("ready_s"), 2),
    ["history_ingest_events_per_s_today"] = Math.Round(today),
    ["history_ingest_events_per_s_backlog_3d"] = Math.Round(backlog),
    ["history_ingest_events_per_s_today_empty"] = Math.Round(empty.GetValueOrDefault("today_events_per_s")),
    ["history_ingest_events_per_s_backlog_3d_empty"] = Math.Round(empty.GetValueOrDefault("backlog_events_per_s")),
    ["history_eval_us_3y"] = Math.Round(eval.Rules3y, 1),
    ["history_eval_us_1m"] = Math.Round(eval.Rules1m, 1),
    ["history_full_replay_us_3y"] = Math.Round(eval.Full3y),
    ["history_tap_cpu_us_3y"] = Math.Round(eval.Tap3y),
    ["history_tap_cpu_us_1m"] = Math.Round(eval.Tap1m),
    ["history_ingest_rss_open_mib"] = Math.Round(year.GetValueOrDefault("rss_open_mib")),
    ["history_ingest_rss_mib"] = Math.Round(rss),
    ["history_ingest_rss_snapshot_mib"] = Math.Round(year.GetValueOrDefault("rss_snapshot_mib")),
    ["history_ingest_rss_peak_mib"] = Math.Round(year.GetValueOrDefault("rss_peak_mib")),
    ["history_ingest_snapshot_s"] = Math.Round(year.GetValueOrDefault("snapshot_s"), 1),
    ["history_ingest_heap_open_mib"] = Math.Round(year.GetValueOrDefault("heap_open_mib")),
    ["history_ingest_heap_empty_mib"] = Math.Round(empty.GetValueOrDefault("heap_open_mib")),
    ["history_ingest_rss_empty_mib"] = Math.Round(Math.Max(empty.GetValueOrDefault("rss_open_mib"), empty.GetValueOrDefault("rss_mib"))),
};
Console.WriteLine(json.ToJsonString());
return 0;

JsonObject Generate()
{
    if (Directory.Exists(cache))
    {
        Directory.Delete(cache, recursive: true);
    }

    Directory.CreateDirectory(cache);
    var total = Stopwatch.StartNew();
    DateTimeOffset now = DateTimeOffset.UtcNow;
    DateOnly lastDay = WalletRules.ServiceDay(now).AddDays(-1), firstDay = lastDay.AddDays(-364);
    RegistryGenerator.WriteBusFleet(registryPath, persons, cards, Buses, clinic: true);
    CityRegistry registry = RegistryLoader.Load(registryPath);
    Console.WriteLine($"registry: {persons:N0} persons, {cards:N0} cards, {Buses} buses in {total.Elapsed.TotalSeconds:F1} s");

    var sw = Stopwatch.StartNew();
    CityYear plan = CityYear.Plan(persons, Buses, firstDay, lastDay);
    plan.AssignSeqs(new ulong[Buses]);
    string[] tokens = [.. Enumerable.Range(0, persons).Select(p => CityYear.TokenOf(registry, CityYear.CardOf(p, persons)))];
    Console.WriteLine($"planned {plan.Taps.Length:N0} taps of {persons / CityYear.CommuterEvery:N0} commuters and {persons - persons / CityYear.CommuterEvery:N0} occasional riders, service days {firstDay:yyyy-MM-dd} to {lastDay:yyyy-MM-dd}, in {sw.Elapsed.TotalSeconds:F1} s");

    sw.Restart();
    WriteStats stats;
    using (var store = new LiteDbIngestStore(storeDir))
    {
        stats = StoreWriter.Write(store, registry, plan, tokens, now, Console.WriteLine);
    }

    double seconds = total.Elapsed.TotalSeconds;
    Console.WriteLine($"written: {stats.Taps:N0} taps, {stats.Persons:N0} persons, {stats.TopUps:N0} top-ups, {stats.Entries:N0} wallet entries, {stats.Checkpoints:N0} day checkpoints ({stats.Debtors:N0} persons in debt) in {stats.Units} units, {sw.Elapsed.TotalSeconds:F0} s (of which the rules {stats.EvaluateSeconds:F0} s); generation in all {seconds:F0} s");
    var result = new JsonObject
    {
        ["version"] = GeneratorVersion,
        ["generated_at"] = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["generate_s"] = Math.Round(seconds, 1),
        ["persons"] = persons,
        ["cards"] = cards,
        ["buses"] = Buses,
        ["commuters"] = persons / CityYear.CommuterEvery,
        ["taps"] = stats.Taps,
        ["top_ups"] = stats.TopUps,
        ["entries"] = stats.Entries,
        ["checkpoints"] = stats.Checkpoints,
        ["first_day"] = firstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["last_day"] = lastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    // Written last, and whole: a store without it is incomplete and generated again.
    File.WriteAllText(marker + ".tmp", result.ToJsonString());
    File.Move(marker + ".tmp", marker, overwrite: true);
    return result;
}

// The generator in a process of its own with a 128 MiB gen0 budget: a unit's documents, serialised JSON and LiteDB
// pages are short-lived and many, and the default budget collected them ~16% of the generation's time more (the
// budget is read from the environment only, when the runtime starts).
async Task<JsonObject> GenerateInChildAsync()
{
    List<string> childArgs = ["--phase", "generate", "--persons", persons.ToString(CultureInfo.InvariantCulture), "--cache", cacheRoot];
    if (quick)
    {
        childArgs.Add("--quick");
    }

    (int exit, _) = await RunChildAsync(childArgs, new Dictionary<string, string> { ["DOTNET_GCgen0size"] = "0x8000000" }, prefix: "");
    if (exit != 0 || !File.Exists(marker))
    {
        throw new InvalidOperationException($"generating the store failed (exit {exit})");
    }

    return JsonNode.Parse(File.ReadAllText(marker))!.AsObject();
}

async Task<Dictionary<string, double>> MeasureChild(string which, string? store)
{
    Console.WriteLine();
    Console.WriteLine(which == "empty" ? "── the ingest on an empty store (its own process)" : "── the ingest on a copy of the one-year store (its own process)");
    List<string> childArgs = ["--phase", which, "--registry", registryPath, "--persons", persons.ToString(CultureInfo.InvariantCulture)];
    if (store is not null)
    {
        childArgs.Add("--store");
        childArgs.Add(store);
    }

    if (quick)
    {
        childArgs.Add("--quick");
    }

    (int exit, string? last) = await RunChildAsync(childArgs, new Dictionary<string, string>(), prefix: "   │ ");
    var figures = new Dictionary<string, double>(StringComparer.Ordinal);
    if (exit != 0 || last is null || !last.StartsWith('{'))
    {
        Console.WriteLine($"   the {which} run failed (exit {exit})");
        return figures;
    }

    foreach ((string key, JsonNode? value) in JsonNode.Parse(last)!.AsObject())
    {
        if (value is JsonValue v && v.TryGetValue(out double d))
        {
            figures[key] = d;
        }
    }

    return figures;
}

// This program again with the given arguments and environment, its lines shown as they come (TestSupport's
// process runner, which kills it if this one fails first). Returns its exit code and last line of standard output.
async Task<(int Exit, string? Last)> RunChildAsync(List<string> childArgs, Dictionary<string, string> environment, string prefix)
{
    using ChildProcess child = ChildProcess.StartDotnet("history bench " + childArgs[1], typeof(EvalBench).Assembly.Location, childArgs,
        new ProcessOptions { Environment = environment }, echo: line => Console.WriteLine(prefix + line));
    int exit = await child.WaitForExitAsync(Timeout.InfiniteTimeSpan);
    return (exit, child.Output is [.., string last] ? last : null);
}

static string Row(string what, string measured, string budget, bool? within) =>
    $"| {what} | {measured} | {budget}{within switch { true => " ✓", false => " ✗", null => "" }} |";

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
