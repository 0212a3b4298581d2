using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.WholeSystem;

// The whole system on one machine: a terminal offline then draining through Mosquitto to the ingest, taps on the running terminal, memory.
internal sealed partial class SystemBench
{
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
        ChildProcess ingest = StartIngest("ingest",
            ["--registry", registryPath, "--data", Path.Combine(e2e, "ingest"), "--http-port", "0", "--mqtt-port", "0",
             "--broker", $"mqtt://127.0.0.1:{_mosquitto.Port}", "--broker-user", "ingest", "--broker-pass-file", _mosquitto.Files.IngestPasswordFile]);
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
            Task<List<double>> newTaps = TapOnOwnThreadAsync(tapper, int.MaxValue, TimeSpan.FromMilliseconds(50), drained.Token);
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

            // A bus takes a few taps a second at most; 100 a second still leaves the uplink room to send them.
            List<double> samples = await TapOnOwnThreadAsync(tapper, taps, TimeSpan.FromMilliseconds(10), ct);
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

    /// <summary>
    /// Takes up to <paramref name="count"/> taps, one every <paramref name="every"/>, until cancelled; returns each tap's
    /// round trip in ms. On a thread of its own with blocking reads, as a reader's loop has: each sample is the control
    /// socket's round trip, not also this process's thread pool picking up the answer on a machine busy with the drain.
    /// </summary>
    private Task<List<double>> TapOnOwnThreadAsync(ControlClient client, int count, TimeSpan every, CancellationToken ct) =>
        Task.Factory.StartNew(() =>
        {
            var samples = new List<double>(Math.Min(count, 10_000));
            while (samples.Count < count && !ct.IsCancellationRequested)
            {
                long t0 = Stopwatch.GetTimestamp();
                string answer = client.Send(TapCommand());
                samples.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!answer.StartsWith("ok accept", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"tap {samples.Count}: {answer}");
                }

                // The pause between passengers; cancellation ends it at once.
                ct.WaitHandle.WaitOne(every);
            }

            return samples;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

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
