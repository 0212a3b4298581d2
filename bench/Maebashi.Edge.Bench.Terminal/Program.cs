using System.Device.Gpio;
using System.Diagnostics;
using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Emulation.Gps;
using Maebashi.Edge.Terminal.Feedback;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Roles;
using Maebashi.Edge.Terminal.Taps;
using Maebashi.Edge.Terminal.Uplink;
using Maebashi.Edge.TestSupport;

// Terminal host benchmarks (docs/contract.md §10): tap → verdict with the durable ledger commit
// (token, decision, LiteDB commit + fsync, feedback), and resident memory after many taps.
// `--quick` keeps the run short on the shared 2-core machine.
bool quick = args.Contains("--quick");
int latencyTaps = quick ? 2_000 : 20_000;
int memoryTaps = 100_000;

var figures = new SortedDictionary<string, double>(StringComparer.Ordinal);
string dir = Path.Combine(Path.GetTempPath(), "mbe-bench-terminal-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
// --quick runs the 100,000-tap memory test on tmpfs: the same code path, but the fsync returns at
// once, so it takes seconds instead of minutes. The full run puts it on the disk too.
// MBE_BENCH_SHM names another tmpfs folder (`maebashi-edge bench` passes one it removes even on Ctrl+C).
string shm = Environment.GetEnvironmentVariable("MBE_BENCH_SHM") is { Length: > 0 } custom ? custom : "/dev/shm";
string memoryDir = quick && Directory.Exists(shm) ? Path.Combine(shm, "mbe-bench-terminal-" + Guid.NewGuid().ToString("N")) : Path.Combine(dir, "memory");
try
{
    Console.WriteLine($"Terminal host benchmark ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    Console.WriteLine($"state directory {dir}");

    bool memoryOnly = args.Contains("--memory-only") || args.Contains("--memory-child");
    if (!memoryOnly)
    {
        Latency(dir, latencyTaps, figures);
        StopDetection(figures);
    }

    Directory.CreateDirectory(memoryDir);
    if (args.Contains("--memory-child"))
    {
        Memory(memoryDir, memoryTaps, figures);
    }
    else
    {
        MemoryInChild(quick, figures);
    }
}
finally
{
    // Last line: the figures as JSON, for `maebashi-edge bench` (and the parent of --memory-child).
    Console.WriteLine("{" + string.Join(',', figures.Select(kv => string.Create(CultureInfo.InvariantCulture, $"\"{kv.Key}\":{kv.Value:0.###}"))) + "}");
    Directory.Delete(dir, recursive: true);
    if (Directory.Exists(memoryDir))
    {
        Directory.Delete(memoryDir, recursive: true);
    }
}

// Stop detection by GPS geofence (issue 16, docs/gps.md): the share of stop passages right over the replayed
// routes with the emulated receiver's noise model at σ = 15 m and 30 m. Deterministic (seeded), not a timing.
static void StopDetection(SortedDictionary<string, double> figures)
{
    foreach ((int sigma, string key, int budget) in new[] { (15, "stop_detection_15m_pct", 99), (30, "stop_detection_30m_pct", 95) })
    {
        TrialResult r = StopDetectionTrial.Run(sigma, StopDetectionTrial.BudgetRoutes);
        figures[key] = r.Percent;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stop detection at σ = {sigma} m: {r.Right} of {r.Passages} stop passages right, {r.Invented} invented: {r.Percent:0.0}%  (budget ≥ {budget}%)"));
    }
}

static void Latency(string dir, int latencyTaps, SortedDictionary<string, double> figures)
{
    using (var rig = new Rig(Path.Combine(dir, "latency")))
    {
        for (int i = 0; i < 200; i++)
        {
            rig.Tap(i);
        }

        var samples = new double[latencyTaps];
        for (int i = 0; i < latencyTaps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            TapOutcome o = rig.Tap(1_000 + i);
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (o.Verdict != Verdict.Accept)
            {
                throw new InvalidOperationException($"tap {i}: {o.Display}");
            }
        }

        Array.Sort(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tap → verdict (durable commit), {latencyTaps} taps: p50 {Pct(samples, 0.50):0.000} ms, p99 {Pct(samples, 0.99):0.000} ms, max {samples[^1]:0.000} ms  (budget p99 ≤ 5 ms)"));
        figures["pipeline_tap_verdict_p50_ms"] = Pct(samples, 0.50);
        figures["pipeline_tap_verdict_p99_ms"] = Pct(samples, 0.99);
    }

    // The disk's own fsync latency, for context: the floor under any durable commit here.
    {
        string probe = Path.Combine(dir, "fsync-probe");
        using var fs = new FileStream(probe, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 0);
        var page = new byte[8192];
        var syncs = new double[500];
        for (int i = 0; i < syncs.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            fs.Write(page);
            fs.Flush(flushToDisk: true);
            syncs[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        Array.Sort(syncs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"the disk alone: 8 KiB write + fsync, 500 times: p50 {Pct(syncs, 0.50):0.000} ms, p99 {Pct(syncs, 0.99):0.000} ms"));
        figures["disk_fsync_p99_ms"] = Pct(syncs, 0.99);
    }

    using (var rig = new Rig(Path.Combine(dir, "cpu"), durable: false))
    {
        var samples = new double[latencyTaps];
        for (int i = 0; i < latencyTaps + 200; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            rig.Tap(i);
            if (i >= 200)
            {
                samples[i - 200] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        }

        Array.Sort(samples);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tap → verdict without the fsync (the software's own part), {latencyTaps} taps: p50 {Pct(samples, 0.50):0.000} ms, p99 {Pct(samples, 0.99):0.000} ms"));
    }

}

// The memory figure is measured in a child process that runs with the systemd unit's environment
// (terminal-host/systemd/maebashi-edge-terminal.service), as the service would. A method of its own, so that
// the child (which runs Memory) never loads what starting a process takes.
static void MemoryInChild(bool quick, SortedDictionary<string, double> figures)
{
    Dictionary<string, string> environment = UnitFileEnvironment.Read(Path.Combine(AppContext.BaseDirectory, "maebashi-edge-terminal.service"));
    foreach ((string name, string value) in environment)
    {
        Console.WriteLine($"  {name}={value}");
    }

    using ChildProcess child = ChildProcess.StartDotnet("memory run", typeof(Rig).Assembly.Location, quick ? ["--memory-child", "--quick"] : ["--memory-child"],
        new ProcessOptions { Environment = environment });
    child.Process.WaitForExit();
    if (child.ErrorTail.Length > 0)
    {
        Console.Error.WriteLine(child.ErrorTail);
    }

    IReadOnlyList<string> lines = child.Output;
    Console.Write(string.Join('\n', lines.Where(l => l.StartsWith("resident", StringComparison.Ordinal) || l.StartsWith("Rss", StringComparison.Ordinal))) + "\n");
    // The child's own JSON line (its last) carries the memory figure.
    string? json = lines.LastOrDefault(l => l.StartsWith('{'));
    if (json is not null)
    {
        foreach (KeyValuePair<string, System.Text.Json.JsonElement> kv in System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, System.Text.Json.JsonElement>>(json)!)
        {
            figures[kv.Key] = kv.Value.GetDouble();
        }
    }
}

static void Memory(string memoryDir, int memoryTaps, SortedDictionary<string, double> figures)
{
    using (var rig = new Rig(memoryDir))
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < memoryTaps; i++)
        {
            rig.Tap(i);
            if (i % 500 == 499)
            {
                // The uplink's work: the ingest acknowledges, the ledger prunes (retention 0 here).
                rig.Ledger.MarkAcked(rig.Ledger.UnackedSeqs(500));
                rig.Ledger.Prune(int.MaxValue);
            }
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        string rss = string.Join(", ", File.ReadLines("/proc/self/status").Where(l => l.StartsWith("Rss", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))));
        Console.WriteLine(rss);
        figures["terminal_rss_after_100k_taps_mb"] = self.WorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"resident memory after {memoryTaps} taps: {self.WorkingSet64 / (1024.0 * 1024.0):0.0} MB (managed heap {GC.GetTotalMemory(false) / (1024.0 * 1024.0):0.0} MB, GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes / (1024.0 * 1024.0):0.0} MB), {memoryTaps / sw.Elapsed.TotalSeconds:0} taps/s  (budget ≤ 100 MB)"));
    }
}
static double Pct(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

/// <summary>A bus terminal's pipeline over a real ledger on disk, with emulated GPIO.</summary>
internal sealed class Rig : IDisposable
{
    private static readonly byte[] RegionKey = Convert.FromHexString("6d6165626173686920726567696f6e206b657920666f722074657374732e2e21");
    private readonly GpioController _gpio = new(new EmulatedGpioDriver());
    private readonly TerminalFeedback _feedback;
    private readonly TapPipeline _pipeline;

    public Rig(string state, bool durable = true)
    {
        Directory.CreateDirectory(state);
        var options = new TerminalOptions
        {
            DeviceId = "BUS0042",
            Role = "bus",
            Feedback = new FeedbackOptions { GreenPin = 17, RedPin = 27, BuzzerPin = 22 },
            Readers = [new ReaderOptions { Name = "rear", Tap = "board" }],
        };
        ILedgerStorage storage = durable ? new FileLedgerStorage(state) : new NoSyncStorage(state);
        Ledger = TapLedger.Open(storage, new LedgerOptions { Retention = TimeSpan.Zero });
        var cloud = new CloudState(null, options.DeviceId, options.Role);
        var vehicle = new VehicleState();
        vehicle.Set("R01", "S01");
        _feedback = new TerminalFeedback(_gpio, options.Feedback, new TextDisplay());
        _pipeline = new TapPipeline(options, RegionKey, Ledger, cloud, vehicle, _feedback);
    }

    public TapLedger Ledger { get; }

    private readonly byte[] _uid = new byte[7];

    public TapOutcome Tap(int card)
    {
        _uid[0] = 0x04;
        BitConverter.TryWriteBytes(_uid.AsSpan(1), card);
        return _pipeline.Tap(new CardRead(CardTech.Iso14443A, _uid.ToArray(), "rear"));
    }

    public void Dispose()
    {
        _feedback.Dispose();
        Ledger.Dispose();
        _gpio.Dispose();
    }
}

/// <summary>The same files without the fsync: what the tap costs the CPU alone.</summary>
internal sealed class NoSyncStorage(string dir) : ILedgerStorage
{
    public string? Directory => dir;
    public IDisposable? Lock() => null;
    public Stream OpenData() => new FileStream(Path.Combine(dir, "ledger.db"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 0);
    public Stream OpenLog() => new FileStream(Path.Combine(dir, "ledger-log.db"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 0);
}
