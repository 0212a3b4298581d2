using System.Diagnostics;
using System.Globalization;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.TestSupport;

// Usage: dotnet run -c Release -- [--quick] [--persons N] [--cards N]
// Prints a human summary and, last, one JSON line with the figures.
bool quick = args.Contains("--quick");
int persons = Arg("--persons", quick ? 34_000 : 340_000);
int cards = Arg("--cards", quick ? 100_000 : 1_000_000);

string path = Path.Combine(Path.GetTempPath(), $"maebashi-registry-{persons}-{cards}.json");
if (!File.Exists(path))
{
    var gen = Stopwatch.StartNew();
    RegistryGenerator.WriteMixedCards(path + ".tmp", persons, cards);
    File.Move(path + ".tmp", path, overwrite: true);
    Console.WriteLine($"generated {path} ({new FileInfo(path).Length / 1_000_000.0:F0} MB) in {gen.Elapsed.TotalSeconds:F1} s");
}

GC.Collect();
var sw = Stopwatch.StartNew();
CityRegistry registry = RegistryLoader.Load(path);
sw.Stop();
using var self = Process.GetCurrentProcess();
self.Refresh();
double peakMb = self.PeakWorkingSet64 / 1024.0 / 1024.0;
double heldMb = GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
GC.KeepAlive(registry);

Console.WriteLine($"loaded {registry.PersonCount:N0} persons and {registry.CardCount:N0} cards in {sw.Elapsed.TotalSeconds:F2} s; peak RSS {peakMb:F0} MB, managed heap after load {heldMb:F0} MB");
Console.WriteLine($"budget: ≤ 10 s and ≤ 1024 MB — {(sw.Elapsed.TotalSeconds <= 10 && peakMb <= 1024 ? "met" : "NOT met")}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"registry_persons\":{registry.PersonCount},\"registry_cards\":{registry.CardCount},\"registry_load_s\":{sw.Elapsed.TotalSeconds:F2},\"registry_peak_rss_mb\":{peakMb:F0}}}"));
return 0;

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
