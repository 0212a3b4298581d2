using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.WholeSystem;

// The part harnesses the bench runs before the whole system (each its own process, its JSON line merged), and the GTFS import.
internal sealed partial class SystemBench
{
    private async Task PartHarnessesAsync(CancellationToken ct)
    {
        string quick = _o.Quick ? "--quick" : "";
        TimeSpan limit = _o.Quick ? TimeSpan.FromMinutes(3) : TimeSpan.FromMinutes(20);
        Merge(await HarnessAsync("registry load", "Maebashi.Edge.Bench.Registry", [quick], limit, ct), ("registry_load_s", "registry_load_s"),
            ("registry_cards", "registry_cards"), ("registry_persons", "registry_persons"), ("registry_peak_rss_mb", "registry_peak_rss_mb"));
        await GtfsImportAsync(ct);
        Merge(await HarnessAsync("ingest rules", "Maebashi.Edge.Bench.Rules", [quick], limit, ct), ("sun_verify_us", "sun_verify_us"));
        Merge(await HarnessAsync("ingest (embedded broker, in process)", "Maebashi.Edge.Bench.Ingest", [quick], limit, ct),
            ("ingest_events_per_s", "ingest_events_per_s"), ("ingest_vs_store_ratio", "ingest_vs_store_ratio"), ("store_only_events_per_s", "store_only_events_per_s"),
            ("ingest_events", "ingest_bench_events"), ("ingest_ready_s", "ingest_bench_ready_s"), ("ingest_registry_cards", "ingest_bench_registry_cards"),
            ("console_page_p95_ms", "console_page_p95_ms"), ("console_slowest_page_p95_ms", "console_slowest_page_p95_ms"), ("console_month_events", "console_month_events"),
            ("console_transport_first_view_max_ms", "console_transport_first_view_max_ms"),
            ("clinic_checkin_listed_p95_ms", "clinic_checkin_listed_p95_ms"), ("clinic_checkin_on_page_ms", "clinic_checkin_on_page_ms"));
        Merge(await HarnessAsync("terminal host (pipeline in process)", "Maebashi.Edge.Bench.Terminal", [quick], limit, ct),
            ("pipeline_tap_verdict_p50_ms", "pipeline_tap_verdict_p50_ms"), ("pipeline_tap_verdict_p99_ms", "pipeline_tap_verdict_p99_ms"),
            ("disk_fsync_p99_ms", "disk_fsync_p99_ms"), ("terminal_rss_after_100k_taps_mb", "terminal_rss_after_100k_taps_mb"),
            ("stop_detection_15m_pct", "stop_detection_15m_pct"), ("stop_detection_30m_pct", "stop_detection_30m_pct"));
        Merge(await HarnessAsync("validator firmware and link", "Maebashi.Edge.Firmware.Bench", [quick], limit, ct),
            ("validator_tap_light_p50_ms", "validator_tap_light_p50_ms"), ("validator_tap_light_p99_ms", "validator_tap_light_p99_ms"),
            ("sun_radio_ms_pn532", "sun_radio_ms_pn532"), ("sun_radio_ms_mfrc522", "sun_radio_ms_mfrc522"));

        // Issue 13: generates its one-year store once (up to 10 min, kept under ~/.cache/maebashi-edge) and reuses it.
        Merge(await HarnessAsync("one year of a 340,000-person city (issue 13)", "Maebashi.Edge.Bench.History", [quick], _o.Quick ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(40), ct),
            [.. new[]
            {
                "history_store_persons", "history_store_taps", "history_store_generate_s", "history_store_reused", "history_ingest_ready_s",
                "history_ingest_events_per_s_today", "history_ingest_events_per_s_backlog_3d", "history_eval_us_3y", "history_eval_us_1m",
                "history_tap_cpu_us_3y", "history_ingest_rss_mib", "history_ingest_rss_empty_mib", "history_ingest_rss_snapshot_mib",
                "history_ingest_rss_peak_mib", "history_ingest_snapshot_s",
            }.Select(k => (k, k))]);

        // Issue 14 item 6: generates its export once (kept under ~/.cache/maebashi-edge), imports it into PostgreSQL.
        Merge(await HarnessAsync("the registry at prefecture scale (issue 14)", "Maebashi.Edge.Bench.Prefecture", [quick, "--cli", _o.CliDll], _o.Quick ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(30), ct),
            [.. new[]
            {
                "prefecture_persons", "prefecture_cards", "prefecture_import_s", "prefecture_worker_ready_s", "prefecture_worker_rss_mib",
                "prefecture_worker_rss_after_taps_mib", "prefecture_worker_peak_rss_mib", "prefecture_worker_events_per_s",
                "prefecture_token_lookup_ns", "prefecture_token_lookup_dictionary_ns",
            }.Select(k => (k, k))]);
    }

    /// <summary>
    /// <c>registry import-gtfs</c> of a prefecture-sized feed (<see cref="GtfsFeedGenerator"/>: 29 operators, about
    /// 3,000 stops and 300 routes) into a small registry, timed as a technician runs it: the whole CLI process.
    /// </summary>
    private async Task GtfsImportAsync(CancellationToken ct)
    {
        Say("");
        Say($"── registry import-gtfs: a generated feed of {GtfsFeedGenerator.Operators} operators, {GtfsFeedGenerator.Stops:N0} stops, {GtfsFeedGenerator.Routes} routes");
        string dir = Path.Combine(_root, "gtfs");
        string feed = Path.Combine(dir, "feed");
        GtfsFeedGenerator.Write(feed);
        string registry = Path.Combine(dir, "registry.json");
        RegistryGenerator.WriteBusFleet(registry, persons: 1_000, cards: 1_000, buses: 1);
        try
        {
            var sw = Stopwatch.StartNew();
            await CliAsync(["registry", "import-gtfs", "--feed", feed, "--registry", registry, "--out", Path.Combine(dir, "merged.json")], ct);
            _figures["gtfs_import_s"] = sw.Elapsed.TotalSeconds;
            Say(string.Create(Inv, $"   imported in {sw.Elapsed.TotalSeconds:F2} s"));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            _failures.Add($"gtfs import: {e.Message}");
            Say($"   FAILED: {e.Message}");
        }
    }

    private async Task<Dictionary<string, double>> HarnessAsync(string title, string project, string[] args, TimeSpan limit, CancellationToken ct)
    {
        Say("");
        Say($"── {title} (bench/{project})");
        string dll = Path.Combine(_o.Repo, "bench", project, "bin", "Release", "net10.0", project + ".dll");
        if (!File.Exists(dll))
        {
            _failures.Add($"{project}: {dll} is missing (build bench/Maebashi.Edge.Bench.System in Release)");
            Say($"   missing {dll}");
            return [];
        }

        string tmp = Path.Combine(_root, "tmp", project);
        Directory.CreateDirectory(tmp);
        var env = new Dictionary<string, string> { ["TMPDIR"] = tmp, ["MBE_BENCH_SHM"] = _shm };
        var sw = Stopwatch.StartNew();
        ChildProcess child = Track(ChildProcess.StartDotnet(project, dll, args.Where(a => a.Length > 0), new ProcessOptions { Environment = env }, line => Say("   │ " + line)));
        try
        {
            await child.Process.WaitForExitAsync(ct).WaitAsync(limit, ct);
        }
        catch (TimeoutException)
        {
            _failures.Add($"{project}: did not finish within {limit.TotalMinutes:F0} min");
            child.Dispose();
            return [];
        }

        Say($"   ({sw.Elapsed.TotalSeconds:F0} s, exit {child.Process.ExitCode})");
        if (child.Process.ExitCode != 0)
        {
            _failures.Add($"{project}: exit code {child.Process.ExitCode}");
        }

        Dictionary<string, double> numbers = BenchFigures.NumbersOfLastJsonLine(child.Output);
        Untrack(child);
        return numbers;
    }

    private void Merge(Dictionary<string, double> from, params (string From, string To)[] keys)
    {
        foreach ((string f, string t) in keys)
        {
            if (from.TryGetValue(f, out double v))
            {
                _figures[t] = v;
            }
        }
    }

    // ---------------------------------------------------------------- end to end
}
