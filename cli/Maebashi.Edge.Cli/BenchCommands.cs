using System.CommandLine;
using System.Diagnostics;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>bench [--quick]</c>: builds the benchmark harnesses in Release (once; later runs are
/// incremental) and runs bench/Maebashi.Edge.Bench.System, which runs every part's harness and the
/// whole-system benchmarks with this program's <c>terminal run</c> and <c>ingest run</c> as separate
/// processes. Its last output line is one JSON object with every figure.
/// </summary>
internal static class BenchCommands
{
    private const string Project = "Maebashi.Edge.Bench.System";

    public static void AddTo(RootCommand root)
    {
        var quick = new Option<bool>("--quick") { Description = "a short run (about 2–3 minutes; a smaller registry, said so in the output)" };
        var systemOnly = new Option<bool>("--system-only") { Description = "only the whole-system part (terminal and ingest processes through Mosquitto), not the part harnesses" };
        var workersOnly = new Option<bool>("--workers-only") { Description = "only the ingest workers through Mosquitto ((a) LiteDB, (b) and (c) PostgreSQL) and the PostgreSQL store-only baseline" };
        var bench = new Command("bench", "benchmarks against docs/contract.md §10; the last line is JSON") { quick, systemOnly, workersOnly };
        bench.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(quick), parse.GetValue(systemOnly), parse.GetValue(workersOnly), ct));
        root.Subcommands.Add(bench);
    }

    private static async Task<int> RunAsync(bool quick, bool systemOnly, bool workersOnly, CancellationToken ct)
    {
        string? repo = SourceTree.Find(AppContext.BaseDirectory);
        if (repo is null)
        {
            return Fail($"bench: no source tree (Maebashi.Edge.sln) above {AppContext.BaseDirectory}; run it through ./maebashi-edge of a clone");
        }

        string project = Path.Combine(repo, "bench", Project, Project + ".csproj");
        string dll = Path.Combine(repo, "bench", Project, "bin", "Release", "net10.0", Project + ".dll");
        if (NewerSource(repo, dll) is { } changed)
        {
            Console.Out.WriteLine(changed == dll
                ? "maebashi-edge bench: building the harnesses (Release, first run)…"
                : $"maebashi-edge bench: building the harnesses (Release; {Path.GetRelativePath(repo, changed)} changed)…");
            Console.Out.Flush();
            if (await BuildAsync(project, ct) is { } failed)
            {
                return failed;
            }

            // A build with nothing to compile leaves the DLL's time alone: the stamp says when it was checked.
            await File.WriteAllTextAsync(Stamp(dll), DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\n", CancellationToken.None);
        }

        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        if (quick)
        {
            psi.ArgumentList.Add("--quick");
        }

        if (systemOnly)
        {
            psi.ArgumentList.Add("--system-only");
        }

        if (workersOnly)
        {
            psi.ArgumentList.Add("--workers-only");
        }

        psi.ArgumentList.Add("--cli");
        psi.ArgumentList.Add(typeof(BenchCommands).Assembly.Location);
        psi.ArgumentList.Add("--repo");
        psi.ArgumentList.Add(repo);
        using Process run = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        try
        {
            await run.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reaches the whole process group; a SIGINT sent to this process alone is passed on.
            // Either way the benchmark stops what it started and removes its files; wait for that.
            using (Process? kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false }))
            {
                kill?.WaitForExit();
            }

            if (!run.WaitForExit(60_000))
            {
                run.Kill(entireProcessTree: true);
            }

            return ExitCodes.Usage;
        }

        return run.ExitCode;
    }

    /// <summary>Builds the benchmark project and the harnesses it lists; null when it built, else the exit code.</summary>
    private static async Task<int?> BuildAsync(string project, CancellationToken ct)
    {
        var build = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "build", project, "-c", "Release", "--nologo", "-v", "quiet", "-clp:ErrorsOnly" })
        {
            build.ArgumentList.Add(a);
        }

        using (Process b = Process.Start(build) ?? throw new InvalidOperationException("dotnet did not start"))
        {
            Task<string> output = b.StandardOutput.ReadToEndAsync(CancellationToken.None);
            Task<string> errors = b.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await b.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                b.Kill(entireProcessTree: true);
                return ExitCodes.Usage;
            }

            if (b.ExitCode != 0)
            {
                Console.Error.WriteLine(await output + await errors);
                return Fail("bench: the harnesses did not build");
            }
        }

        return null;
    }

    /// <summary>
    /// A source, project or props file newer than the built benchmark (or the benchmark's own path when
    /// it was never built); null when the Release build is up to date, so a second run starts at once.
    /// </summary>
    private static string? NewerSource(string repo, string dll)
    {
        if (!File.Exists(dll) || !File.Exists(Stamp(dll)))
        {
            return dll;
        }

        DateTime built = File.GetLastWriteTimeUtc(Stamp(dll));
        var pending = new Stack<string>([repo]);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (string sub in Directory.EnumerateDirectories(dir))
            {
                string name = Path.GetFileName(sub);
                if (name is not ("bin" or "obj" or ".git" or ".build" or "node_modules"))
                {
                    pending.Push(sub);
                }
            }

            foreach (string file in Directory.EnumerateFiles(dir))
            {
                if ((file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal) || file.EndsWith(".props", StringComparison.Ordinal))
                    && File.GetLastWriteTimeUtc(file) > built)
                {
                    return file;
                }
            }
        }

        return null;
    }

    private static string Stamp(string dll) => Path.Combine(Path.GetDirectoryName(dll)!, ".bench-built");

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"maebashi-edge: {message}");
        return ExitCodes.Usage;
    }
}
