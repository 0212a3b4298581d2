using System.Diagnostics;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.WholeSystem;

/// <summary>
/// The device ↔ broker link over TLS against plain MQTT: one Mosquitto with both listeners, one ingest, and a bus
/// terminal provisioned each way (<c>terminal provision --tls --ca-file</c> from <c>tls dev-ca</c>) behind a relay
/// that can cut its network. For each: cuts of a few taps each, timed from the reconnect reaching the broker to the
/// first of those taps acknowledged, then an offline backlog drained once the network is back (from the reconnect
/// reaching the broker to an empty ledger). The relay's own wait (the terminal's back-off) is left out.
/// </summary>
internal sealed partial class SystemBench
{
    private const int ReconnectCuts = 5;
    private const int TapsPerCut = 100;

    private async Task TlsLinkAsync(CancellationToken ct)
    {
        int backlogTaps = _o.Quick ? 3_000 : BacklogTaps;
        Say("");
        Say($"── devices ↔ broker over TLS against plain MQTT: a {backlogTaps:N0}-tap backlog each way, then {ReconnectCuts} network cuts of {TapsPerCut} taps");
        string dir = Path.Combine(_root, "tls");
        string ca = Path.Combine(dir, "ca");
        await CliAsync(["tls", "dev-ca", "--out", ca, "--hosts", "localhost,127.0.0.1"], ct);
        string registryPath = Path.Combine(_root, "e2e", "registry.json");
        using MosquittoProcess broker = MosquittoProcess.Start(RegistryLoader.Load(registryPath), Path.Combine(dir, "mosquitto"), TimeSpan.FromSeconds(20),
            new MosquittoTls(Path.Combine(ca, "server.crt"), Path.Combine(ca, "server.key")));
        ChildProcess ingest = StartIngest("ingest",
            ["--registry", registryPath, "--data", Path.Combine(dir, "ingest"), "--http-port", "0", "--mqtt-port", "0",
             "--broker", $"mqtt://127.0.0.1:{broker.Port}", "--broker-user", "ingest", "--broker-pass-file", broker.Files.IngestPasswordFile]);
        await ingest.WaitForLineAsync(l => l.StartsWith("mqtt-port=", StringComparison.Ordinal), TimeSpan.FromMinutes(3), ct);

        (double plainRate, double plainReconnect) = await LinkAsync("plain", broker.Port, [], backlogTaps, dir, ct);
        (double tlsRate, double tlsReconnect) = await LinkAsync("tls", broker.TlsPort!.Value, ["--tls", "--ca-file", Path.Combine(ca, "ca.crt")], backlogTaps, dir, ct);
        _figures["tls_drain_events_per_s"] = tlsRate;
        _figures["plain_drain_events_per_s"] = plainRate;
        _figures["tls_drain_ratio"] = tlsRate / plainRate;
        _figures["tls_reconnect_to_ack_ms"] = tlsReconnect;
        _figures["plain_reconnect_to_ack_ms"] = plainReconnect;
        _figures["tls_reconnect_added_ms"] = tlsReconnect - plainReconnect;
        Say(string.Create(Inv, $"   TLS drains at {tlsRate / plainRate:F2} × plain MQTT's rate; a reconnect after a cut takes {tlsReconnect:F0} ms to the first ack over TLS, {plainReconnect:F0} ms plain (TLS adds {tlsReconnect - plainReconnect:F0} ms)"));

        await ingest.StopAsync(TimeSpan.FromSeconds(20));
        Untrack(ingest);
    }

    /// <summary>The drain rate (events/s) and the median reconnect → first ack (ms) of one terminal over one listener.</summary>
    private async Task<(double Rate, double ReconnectMs)> LinkAsync(string name, int brokerPort, string[] tls, int backlogTaps, string dir, CancellationToken ct)
    {
        await using var network = new NetworkCut(brokerPort);
        network.Cut();
        string terminalDir = Path.Combine(dir, name);
        await CliAsync(["terminal", "provision", "--out", terminalDir, "--device", Device, "--registry", Path.Combine(_root, "e2e", "registry.json"),
            "--broker-host", "localhost", "--broker-port", network.Port.ToString(Inv), "--state", "state", .. tls], ct);
        await using Terminal terminal = await StartTerminalAsync(Path.Combine(terminalDir, "terminal.json"), ct);

        var reconnects = new List<double>(ReconnectCuts);
        for (int i = 0; i < ReconnectCuts; i++)
        {
            network.Cut();
            await TakeOfflineAsync(terminal, TapsPerCut, ct);
            long reconnected = await RestoreAsync(network, ct);
            await WaitBacklogAsync(terminal, b => b < TapsPerCut, ct);
            reconnects.Add(Stopwatch.GetElapsedTime(reconnected).TotalMilliseconds);
            await WaitBacklogAsync(terminal, b => b == 0, ct);
        }

        // The backlog after the cuts: by then this link's terminal and the ingest have run the same code once.
        network.Cut();
        await TakeOfflineAsync(terminal, backlogTaps, ct);
        long drainFrom = await RestoreAsync(network, ct);
        await WaitBacklogAsync(terminal, b => b == 0, ct);
        double rate = backlogTaps / Stopwatch.GetElapsedTime(drainFrom).TotalSeconds;
        Say(string.Create(Inv, $"   {name}: {backlogTaps:N0} taps drained at {rate:N0} events/s from the reconnect"));

        double median = BenchFigures.Percentile(reconnects, 0.5);
        Say(string.Create(Inv, $"   {name}: reconnect → first ack after a cut, median of {ReconnectCuts}: {median:F0} ms (each: {string.Join(", ", reconnects.Select(r => r.ToString("F0", Inv)))})"));
        return (rate, median);
    }

    private async Task TakeOfflineAsync(Terminal terminal, int taps, CancellationToken ct)
    {
        List<string> answers = await terminal.Control.PipelineAsync([.. Enumerable.Range(0, taps).Select(_ => TapCommand())], ct);
        if (answers.FirstOrDefault(a => !a.StartsWith("ok accept", StringComparison.Ordinal)) is { } refused)
        {
            throw new InvalidOperationException($"offline tap refused: {refused}");
        }
    }

    /// <summary>Gives the network back; returns the timestamp at which the terminal's reconnect reached the broker.</summary>
    private static async Task<long> RestoreAsync(NetworkCut network, CancellationToken ct)
    {
        Task<long> relayed = network.NextRelayedConnection;
        network.Restore();
        return await relayed.WaitAsync(TimeSpan.FromMinutes(2), ct);
    }

    /// <summary>Samples the terminal's backlog (a measurement, not a wait for an event of ours) until the condition holds.</summary>
    private static async Task WaitBacklogAsync(Terminal terminal, Func<long, bool> done, CancellationToken ct)
    {
        var limit = Stopwatch.StartNew();
        while (!done(await terminal.Control.BacklogAsync(ct)))
        {
            if (limit.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException("the terminal's backlog did not drain within 5 minutes");
            }

            await Task.Delay(5, ct);
        }
    }
}
