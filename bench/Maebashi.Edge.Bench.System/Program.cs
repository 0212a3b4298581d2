using System.Runtime.InteropServices;
using Maebashi.Edge.Bench.WholeSystem;

// `maebashi-edge bench [--quick]` runs this (after building it and the part harnesses in Release):
//   dotnet Maebashi.Edge.Bench.System.dll [--quick] --cli PATH/maebashi-edge.dll --repo REPO [--system-only | --workers-only]
// Human-readable lines first; the last line is one JSON object with every figure.
var options = SystemBenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Maebashi.Edge.Bench.System [--quick] --cli PATH/maebashi-edge.dll --repo REPO [--system-only | --workers-only]");
    return 2;
}

using var stop = new CancellationTokenSource();
// Ctrl+C and SIGTERM end the run; every process and folder it started is still removed (finally blocks).
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

await using var run = new SystemBench(options);
return await run.RunAsync(stop.Token);

internal sealed record SystemBenchOptions(bool Quick, string CliDll, string Repo, bool SystemOnly, bool WorkersOnly)
{
    public static SystemBenchOptions? Parse(string[] args)
    {
        string? cli = Value("--cli");
        string? repo = Value("--repo");
        if (cli is null || repo is null || !File.Exists(cli) || !Directory.Exists(repo))
        {
            return null;
        }

        return new SystemBenchOptions(args.Contains("--quick"), Path.GetFullPath(cli), Path.GetFullPath(repo), args.Contains("--system-only") || args.Contains("--workers-only"),
            args.Contains("--workers-only"));

        string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
    }
}
