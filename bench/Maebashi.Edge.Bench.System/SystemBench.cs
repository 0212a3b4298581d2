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

            await EndToEndAsync(ct);
            await TlsLinkAsync(ct);
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
                "history_tap_cpu_us_3y", "history_ingest_rss_mib", "history_ingest_rss_empty_mib",
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

    private async Task EndToEndAsync(CancellationToken ct)
    {
        Say("");
        Say($"── whole system: a bus terminal and the ingest as separate processes through Mosquitto ({E2eCards:N0} cards / {E2ePersons:N0} persons{(_o.Quick ? ", the --quick registry" : "")})");
        if (!MosquittoProcess.IsInstalled)
        {
            throw new InvalidOperationException($"{MosquittoProcess.DefaultBinary} is not installed (apt-get install mosquitto)");
        }

        string e2e = Path.Combine(_root, "e2e");
        Directory.CreateDirectory(e2e);
        string registryPath = Path.Combine(e2e, "registry.json");
        RegistryGenerator.WriteBusFleet(registryPath, E2ePersons, E2eCards, buses: 1);
        _figures["e2e_registry_cards"] = E2eCards;
        _figures["e2e_registry_persons"] = E2ePersons;

        // The terminal: provisioned by the CLI from the registry, first pointed at a port where no broker listens.
        string terminalDir = Path.Combine(e2e, "terminal");
        int nowhere = LoopbackPorts.Free();
        await CliAsync(["terminal", "provision", "--out", terminalDir, "--device", Device, "--registry", registryPath, "--broker-port", nowhere.ToString(Inv), "--state", "state"], ct);
        string config = Path.Combine(terminalDir, "terminal.json");

        // 1. Offline: the bus takes a week of taps that wait in its ledger.
        Say($"   terminal offline (no broker): taking {BacklogTaps:N0} taps into the ledger…");
        await using (Terminal offline = await StartTerminalAsync(config, ct))
        {
            var fill = Stopwatch.StartNew();
            List<string> answers = await offline.Control.PipelineAsync([.. Enumerable.Range(0, BacklogTaps).Select(_ => TapCommand())], ct);
            int accepted = answers.Count(a => a.StartsWith("ok accept", StringComparison.Ordinal));
            Say($"   {accepted:N0} of {BacklogTaps:N0} taps accepted offline in {fill.Elapsed.TotalSeconds:F1} s");
            if (accepted != BacklogTaps)
            {
                throw new InvalidOperationException($"offline taps: {BacklogTaps - accepted} not accepted, e.g. '{answers.First(a => !a.StartsWith("ok accept", StringComparison.Ordinal))}'");
            }

            _figures["backlog_taps"] = await offline.Control.BacklogAsync(ct);
        }

        // 2. The broker and the ingest come up.
        var registry = RegistryLoader.Load(registryPath);
        _mosquitto = MosquittoProcess.Start(registry, Path.Combine(e2e, "mosquitto"), TimeSpan.FromSeconds(20));
        Say($"   mosquitto listening on 127.0.0.1:{_mosquitto.Port}");
        var ingestStart = Stopwatch.StartNew();
        ChildProcess ingest = Track(ChildProcess.StartDotnet("ingest", _o.CliDll,
            ["ingest", "run", "--registry", registryPath, "--data", Path.Combine(e2e, "ingest"), "--http-port", "0", "--mqtt-port", "0",
             "--broker", $"mqtt://127.0.0.1:{_mosquitto.Port}", "--broker-user", "ingest", "--broker-pass-file", _mosquitto.Files.IngestPasswordFile]));
        await ingest.WaitForLineAsync(l => l.StartsWith("mqtt-port=", StringComparison.Ordinal), TimeSpan.FromMinutes(3), ct);
        _figures["ingest_ready_s"] = ingestStart.Elapsed.TotalSeconds;
        Say($"   ingest (pid {ingest.Pid}) ready in {ingestStart.Elapsed.TotalSeconds:F1} s, a client of mosquitto; resident {ProcStatus.Of(ingest.Pid, "VmRSS"):F0} MB");

        // 3. The bus comes back online: its backlog drains while passengers keep tapping.
        JsonNode cfg = JsonNode.Parse(await File.ReadAllTextAsync(config, ct))!;
        cfg["Broker"]!["Port"] = _mosquitto.Port;
        await File.WriteAllTextAsync(config, cfg.ToJsonString(), ct);
        await using (Terminal online = await StartTerminalAsync(config, ct))
        {
            // The drain clock started when the terminal said it runs (its uplink connects from then on).
            Stopwatch drain = online.Running;
            using var drained = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using ControlClient tapper = await ControlClient.ConnectAsync(online.Port, ct);
            Task<List<double>> newTaps = TapWhileAsync(tapper, TimeSpan.FromMilliseconds(50), drained.Token);
            long backlog = long.MaxValue;
            TimeSpan limit = TimeSpan.FromSeconds(_o.Quick ? 120 : 300);
            while (backlog > 0)
            {
                backlog = await online.Control.BacklogAsync(ct);
                if (backlog > 0)
                {
                    if (drain.Elapsed > limit)
                    {
                        await drained.CancelAsync();
                        throw new TimeoutException($"the backlog did not drain within {limit.TotalSeconds:F0} s ({backlog} left)");
                    }

                    // Sampling the backlog (a measurement, not a wait for an event of ours).
                    await Task.Delay(20, ct);
                }
            }

            double drainSeconds = drain.Elapsed.TotalSeconds;
            await drained.CancelAsync();
            List<double> during = await newTaps;
            _figures["backlog_drain_s"] = drainSeconds;
            _figures["backlog_drain_from_process_start_s"] = online.StartupSeconds + drainSeconds;
            _figures["drain_events_per_s"] = (_figures["backlog_taps"] + during.Count) / drainSeconds;
            _figures["drain_new_taps"] = during.Count;
            _figures["drain_new_tap_p50_ms"] = BenchFigures.Percentile(during, 0.50);
            _figures["drain_new_tap_p99_ms"] = BenchFigures.Percentile(during, 0.99);
            // The first tap after a start also pays for what is compiled on first use (and the uplink's own, beside it): shown apart.
            _figures["drain_first_tap_ms"] = during.Count > 0 ? during[0] : double.NaN;
            _figures["drain_new_tap_p99_after_first_ms"] = BenchFigures.Percentile(during.Skip(1).ToList(), 0.99);
            Say(string.Create(Inv, $"   backlog of {_figures["backlog_taps"]:N0} taps drained in {drainSeconds:F2} s after the terminal started ({_figures["drain_events_per_s"]:N0} events/s through mosquitto and the ingest); the terminal process took {online.StartupSeconds:F1} s to start"));
            Say(string.Create(Inv, $"   {during.Count} new taps during the drain: p50 {_figures["drain_new_tap_p50_ms"]:F2} ms, p99 {_figures["drain_new_tap_p99_ms"]:F2} ms, max {(during.Count > 0 ? during.Max() : double.NaN):F2} ms; the first one (JIT after the start) {_figures["drain_first_tap_ms"]:F2} ms, p99 of the others {_figures["drain_new_tap_p99_after_first_ms"]:F2} ms"));

            // 4. Tap → verdict on the running terminal, online, each tap a different card.
            int taps = _o.Quick ? 500 : 3_000;
            for (int i = 0; i < 50; i++)
            {
                await tapper.SendAsync(TapCommand(), ct);
            }

            var samples = new List<double>(taps);
            for (int i = 0; i < taps; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                string answer = await tapper.SendAsync(TapCommand(), ct);
                samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!answer.StartsWith("ok accept", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"tap {i}: {answer}");
                }

                // A bus takes a few taps a second at most; 100 a second still leaves the uplink room to send them.
                await Task.Delay(10, ct);
            }

            _figures["tap_verdict_taps"] = taps;
            _figures["tap_verdict_p50_ms"] = BenchFigures.Percentile(samples, 0.50);
            _figures["tap_verdict_p99_ms"] = BenchFigures.Percentile(samples, 0.99);
            _figures["tap_verdict_max_ms"] = samples.Max();
            Say(string.Create(Inv, $"   tap → verdict on the running terminal (control socket round trip included), {taps} taps: p50 {_figures["tap_verdict_p50_ms"]:F2} ms, p99 {_figures["tap_verdict_p99_ms"]:F2} ms, max {_figures["tap_verdict_max_ms"]:F2} ms"));

            // Everything taken is acknowledged before the memory is read: the state a bus runs in.
            var settle = Stopwatch.StartNew();
            while (await online.Control.BacklogAsync(ct) > 0)
            {
                if (settle.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException("the taps after the drain were not acknowledged within 60 s");
                }

                await Task.Delay(20, ct);
            }

            _figures["terminal_rss_mb"] = ProcStatus.Of(online.Process.Id, "VmRSS") ?? double.NaN;
            _figures["terminal_peak_rss_mb"] = ProcStatus.Of(online.Process.Id, "VmHWM") ?? double.NaN;
            _figures["ingest_rss_mb"] = ProcStatus.Of(ingest.Pid, "VmRSS") ?? double.NaN;
            _figures["ingest_peak_rss_mb"] = ProcStatus.Of(ingest.Pid, "VmHWM") ?? double.NaN;
            Say(string.Create(Inv, $"   resident memory: terminal {_figures["terminal_rss_mb"]:F1} MB (peak {_figures["terminal_peak_rss_mb"]:F1} MB, the unit file's GC settings), ingest {_figures["ingest_rss_mb"]:F0} MB (peak {_figures["ingest_peak_rss_mb"]:F0} MB)"));
        }

        int code = await ingest.StopAsync(TimeSpan.FromSeconds(20));
        Say($"   ingest stopped (exit {code})");
        Untrack(ingest);
    }

    /// <summary>Takes a tap every <paramref name="every"/> until cancelled; returns each tap's round trip in ms.</summary>
    private async Task<List<double>> TapWhileAsync(ControlClient client, TimeSpan every, CancellationToken ct)
    {
        var samples = new List<double>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long t0 = Stopwatch.GetTimestamp();
                string answer = await client.SendAsync(TapCommand(), CancellationToken.None);
                samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!answer.StartsWith("ok accept", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"a tap during the drain: {answer}");
                }

                await Task.Delay(every, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The drain is over.
        }

        return samples;
    }

    /// <summary>A tap of the next card of the registry not marked lost (each card once: no repeat window).</summary>
    private string TapCommand()
    {
        while (_nextCard % RegistryGenerator.LostCardEvery == 0)
        {
            _nextCard++;
        }

        return $"tap iso14443a {RegistryGenerator.Uid(_nextCard++)} {ReaderBoard}";
    }

    private async Task<Terminal> StartTerminalAsync(string config, CancellationToken ct)
    {
        string portFile = Path.Combine(Path.GetDirectoryName(config)!, "state", "control.port");
        if (File.Exists(portFile))
        {
            File.Delete(portFile);
        }
        // The service's own environment (GC limits, malloc arenas), as systemd would start it.
        Dictionary<string, string> env = UnitFileEnvironment.Read(Path.Combine(_o.Repo, "terminal-host", "systemd", "maebashi-edge-terminal.service"));

        var started = Stopwatch.StartNew();
        ChildProcess p = Track(ChildProcess.Start("terminal", "/usr/bin/nice", ["-n", "-10", ChildProcess.DotnetHost, _o.CliDll, "terminal", "run", "--config", config], new ProcessOptions { Environment = env }));
        // The runtime writes control.port before it logs that it runs.
        await p.WaitForLineAsync(l => l.Contains($"Terminal {Device} (bus) running", StringComparison.Ordinal), TimeSpan.FromMinutes(2), ct);
        var running = Stopwatch.StartNew();
        double startup = started.Elapsed.TotalSeconds;
        int port = int.Parse((await File.ReadAllTextAsync(portFile, ct)).Trim(), Inv);
        ControlClient control = await ControlClient.ConnectAsync(port, ct);
        string at = await control.SendAsync("at R01 S01", ct);
        if (!at.StartsWith("ok", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"terminal: at R01 S01: {at}");
        }

        return new Terminal(this, p, control, port, running, startup);
    }

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

    /// <summary>A running terminal process with its control connection; disposing stops it (SIGTERM) and waits.</summary>
    private sealed class Terminal(SystemBench bench, ChildProcess process, ControlClient control, int port, Stopwatch running, double startupSeconds) : IAsyncDisposable
    {
        public Process Process => process.Process;
        public ControlClient Control => control;
        public int Port => port;
        public Stopwatch Running => running;
        public double StartupSeconds => startupSeconds;

        public async ValueTask DisposeAsync()
        {
            control.Dispose();
            int code = await process.StopAsync(TimeSpan.FromSeconds(20));
            if (code != 0)
            {
                Say($"   terminal exited with {code}: {process.ErrorTail}");
            }

            bench.Untrack(process);
        }
    }
}
