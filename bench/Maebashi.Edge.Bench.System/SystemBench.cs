using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.WholeSystem;

/// <summary>
/// The whole-system benchmark: the part harnesses (registry, rules, ingest, terminal, validator),
/// then a bus terminal (<c>maebashi-edge terminal run</c>) and the ingest (<c>maebashi-edge ingest run
/// --broker</c>) as separate processes through a real Mosquitto: a 10,500-tap backlog drained while
/// new taps are taken, tap → verdict on the running terminal, and the resident memory of each process.
/// </summary>
internal sealed partial class SystemBench : IAsyncDisposable
{
    private const string Device = "BUS0000";
    private const string ReaderBoard = "rear";

    /// <summary>A week of a busy bus (docs/contract.md §10).</summary>
    private const int BacklogTaps = 10_500;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private readonly SystemBenchOptions _o;
    private readonly string _root;
    private readonly string _shm;
    private readonly List<ChildProcess> _children = [];
    private readonly Dictionary<string, double> _figures = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    private MosquittoProcess? _mosquitto;
    private int _nextCard = 1;

    public SystemBench(SystemBenchOptions options)
    {
        _o = options;
        _root = Path.Combine(Path.GetTempPath(), "maebashi-bench-system-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        // The terminal harness's quick memory run wants tmpfs; a folder of ours so that it goes with us.
        _shm = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", Path.GetFileName(_root)) : Path.Combine(_root, "shm");
        Directory.CreateDirectory(_shm);
    }

    private int E2ePersons => _o.Quick ? 34_000 : 340_000;
    private int E2eCards => _o.Quick ? 100_000 : 1_000_000;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        Say($"Maebashi Edge whole-system benchmark ({(_o.Quick ? "--quick" : "full")}): {Environment.ProcessorCount} cores, {RuntimeInformationText()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        if (_o.Quick)
        {
            Say($"--quick: the registry is SMALLER than the city's (registry harness and ingest: 100,000 cards / 34,000 persons instead of 1,000,000 / 340,000); the ingest harness sends 16,000 events instead of 80,000; the terminal's 100,000-tap memory run is on tmpfs.");
        }

        _figures["quick"] = _o.Quick ? 1 : 0;
        // The machine may be shared: its load says how far wall-clock figures are inflated.
        _figures["load_average_1m_start"] = LoadAverage();
        Say(string.Create(Inv, $"load average (1 min) at the start: {_figures["load_average_1m_start"]:F1}"));
        try
        {
            if (!_o.SystemOnly)
            {
                await PartHarnessesAsync(ct);
            }

            if (!_o.WorkersOnly)
            {
                await EndToEndAsync(ct);
                await TlsLinkAsync(ct);
            }

            await WorkersAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Say("interrupted: stopping every process the benchmark started and removing its files");
            await CleanUpAsync();
            return 2;
        }
        catch (Exception e)
        {
            _failures.Add($"end to end: {e.Message}");
            Say($"FAILED: {e.Message}");
        }

        await CleanUpAsync();
        _figures["load_average_1m_end"] = LoadAverage();
        _figures["bench_total_s"] = total.Elapsed.TotalSeconds;
        Report();
        return _failures.Count == 0 ? 0 : 2;
    }

    // ---------------------------------------------------------------- the part harnesses

    private async Task CliAsync(string[] args, CancellationToken ct)
    {
        ChildProcess p = Track(ChildProcess.StartDotnet("maebashi-edge " + args[0], _o.CliDll, args));
        await p.Process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(1), ct);
        int exit = p.Process.ExitCode;
        string errors = p.ErrorTail;
        Untrack(p);
        if (exit != 0)
        {
            throw new InvalidOperationException($"maebashi-edge {string.Join(' ', args)}: exit {exit}: {errors}");
        }
    }

    /// <summary>
    /// An ingest (<c>maebashi-edge ingest run ARGS</c>) with the service's own environment, as systemd starts it from
    /// cloud-ingest/systemd/maebashi-edge-ingest.service (its JIT and GC settings): what is measured is what is deployed.
    /// </summary>
    private ChildProcess StartIngest(string name, IEnumerable<string> args) =>
        Track(ChildProcess.StartDotnet(name, _o.CliDll, ["ingest", "run", .. args], new ProcessOptions
        {
            Environment = UnitFileEnvironment.Read(Path.Combine(_o.Repo, "cloud-ingest", "systemd", "maebashi-edge-ingest.service")),
        }));

    // ---------------------------------------------------------------- report

    private static readonly (string Key, string What, string Budget, Func<double, bool> Met)[] Budgets =
    [
        ("tap_verdict_p99_ms", "terminal process: tap → verdict p99 (socket round trip included)", "≤ 5 ms", v => v <= 5),
        ("pipeline_tap_verdict_p99_ms", "terminal pipeline in process: tap → verdict p99", "≤ 5 ms", v => v <= 5),
        ("backlog_drain_s", "10,500-tap backlog drained through Mosquitto", "≤ 1 s", v => v <= 1),
        ("drain_new_tap_p99_ms", "new taps during the drain, p99", "≤ 10 ms", v => v <= 10),
        ("tls_reconnect_added_ms", "TLS: what a reconnect after a network cut adds before the backlog drains (median of cuts, against plain MQTT)", "≤ 300 ms", v => v <= 300),
        ("tls_drain_ratio", "TLS: drain throughput ÷ plain MQTT's, same terminal, broker and ingest", "≥ 0.8", v => v >= 0.8),
        ("ingest_events_per_s", "ingest end to end (embedded defaults)", "≥ 20,000 events/s", v => v >= 20_000),
        ("ingest_vs_store_ratio", "ingest ÷ store-only baseline", "≥ 0.5", v => v >= 0.5),
        ("workers_b_postgres_events_per_s", "(b) one ingest worker on PostgreSQL through Mosquitto", "≥ 20,000 events/s", v => v >= 20_000),
        ("workers_c_vs_b", "(c) two workers on PostgreSQL ÷ (b), same two cores", "≥ 0.9", v => v >= 0.9),
        ("workers_c_vs_store_only", "(c) two workers on PostgreSQL ÷ the PostgreSQL store-only baseline", "≥ 0.5", v => v >= 0.5),
        ("console_page_p95_ms", "console pages p95 on a month of taps (loopback round trip)", "≤ 200 ms", v => v <= 200),
        ("clinic_checkin_on_page_ms", "clinic: a check-in on the open reception queue (slowest, poll interval included)", "≤ 2,000 ms", v => v <= 2000),
        ("sun_verify_us", "ingest: SUN verification of an authenticated card's read (CPU)", "≤ 20 µs", v => v <= 20),
        ("sun_radio_ms_pn532", "PN532: radio time a SUN read adds to a tap (emulated timing model)", "≤ 30 ms", v => v <= 30),
        ("sun_radio_ms_mfrc522", "MFRC522 (Pi and validator): radio time a SUN read adds to a tap (timing model)", "≤ 30 ms", v => v <= 30),
        ("validator_tap_light_p99_ms", "validator: tap → light p99, city cards with SUN (radio by the timing model)", "≤ 100 ms", v => v <= 100),
        ("registry_load_s", "registry load", "≤ 10 s", v => v <= 10),
        ("registry_peak_rss_mb", "registry load, peak resident", "≤ 1024 MB", v => v <= 1024),
        ("prefecture_worker_ready_s", "PostgreSQL worker ready on the prefecture registry (2,000,000 persons, 6,000,000 cards)", "≤ 30 s", v => v <= 30),
        ("prefecture_worker_peak_rss_mib", "PostgreSQL worker on the prefecture registry, peak resident", "≤ 1024 MiB", v => v <= 1024),
        ("gtfs_import_s", "registry import-gtfs of a 29-operator feed (3,000 stops, 300 routes)", "≤ 10 s", v => v <= 10),
        ("terminal_rss_mb", "terminal process resident", "≤ 80 MB", v => v <= 80),
        ("terminal_rss_after_100k_taps_mb", "terminal pipeline resident after 100,000 taps", "≤ 100 MB", v => v <= 100),
        ("ingest_rss_mb", "ingest process resident", "≤ 1024 MB", v => v <= 1024),
        ("ingest_peak_rss_mb", "ingest process peak resident", "≤ 1024 MB", v => v <= 1024),
        ("stop_detection_15m_pct", "GPS stop passages right, replayed routes, σ = 15 m", "≥ 99 %", v => v >= 99),
        ("stop_detection_30m_pct", "GPS stop passages right, replayed routes, σ = 30 m", "≥ 95 %", v => v >= 95),
    ];

    private static readonly string[] Required =
        ["tap_verdict_p50_ms", "tap_verdict_p99_ms", "backlog_drain_s", "ingest_events_per_s", "ingest_vs_store_ratio", "terminal_rss_mb", "ingest_rss_mb"];

    private void Report()
    {
        Say("");
        Say("── against docs/contract.md §10");
        if (_figures.TryGetValue("drain_events_per_s", out double through) && _figures.TryGetValue("store_only_events_per_s", out double store) && store > 0)
        {
            // The drain through Mosquitto, one device, against the same store-only baseline.
            _figures["drain_vs_store_ratio"] = through / store;
        }

        int missed = 0;
        foreach ((string key, string what, string budget, Func<double, bool> met) in Budgets)
        {
            if (!_figures.TryGetValue(key, out double v) || !double.IsFinite(v))
            {
                Say($"   {what,-66} {"not measured",14}   budget {budget}");
                continue;
            }

            bool ok = met(v);
            missed += ok ? 0 : 1;
            Say(string.Create(Inv, $"   {what,-66} {v,14:0.###}   budget {budget}: {(ok ? "met" : "NOT met")}"));
        }

        _figures["budgets_missed"] = missed;
        foreach (string f in _failures)
        {
            Say($"   problem: {f}");
        }

        foreach (string k in Required.Where(k => !_figures.ContainsKey(k)))
        {
            _figures[k] = double.NaN;
        }

        IEnumerable<KeyValuePair<string, double>> ordered = Required.Select(k => new KeyValuePair<string, double>(k, _figures[k]))
            .Concat(_figures.Where(kv => !Required.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Console.Out.WriteLine(BenchFigures.JsonLine(ordered));
        Console.Out.Flush();
    }

    // ---------------------------------------------------------------- processes and cleanup

    private ChildProcess Track(ChildProcess p)
    {
        lock (_children)
        {
            _children.Add(p);
        }

        return p;
    }

    private void Untrack(ChildProcess p)
    {
        lock (_children)
        {
            _children.Remove(p);
        }

        p.Dispose();
    }

    private async Task CleanUpAsync()
    {
        ChildProcess[] left;
        lock (_children)
        {
            left = [.. _children];
            _children.Clear();
        }

        foreach (ChildProcess p in left)
        {
            try
            {
                await p.StopAsync(TimeSpan.FromSeconds(5));
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            p.Dispose();
        }

        _mosquitto?.Dispose();
        _mosquitto = null;
        foreach (string dir in new[] { _root, _shm })
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Say($"could not remove {dir}: {e.Message}");
            }
        }
    }

    public async ValueTask DisposeAsync() => await CleanUpAsync();

    private static void Say(string line) => Console.Out.WriteLine(line);

    private static string RuntimeInformationText() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";

    private static double LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], Inv);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }
}
