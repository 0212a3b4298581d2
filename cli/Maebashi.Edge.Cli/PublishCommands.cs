using System.CommandLine;
using System.Diagnostics;
using System.Reflection.PortableExecutable;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>publish terminal|ingest --out DIR [--rid RID]</c>: what a technician copies to a Pi or a server —
/// a framework-dependent, ReadyToRun publish of the service's own executable project, checked afterwards
/// so that no assembly the deployable must not carry (emulation, demo, the other side) slipped in.
/// </summary>
internal static class PublishCommands
{
    public static void AddTo(RootCommand root)
    {
        var publish = new Command("publish", "builds a deployable (framework-dependent, ReadyToRun) for a Pi or a server");
        foreach (Deployable d in Deployable.All)
        {
            var output = new Option<DirectoryInfo>("--out") { Description = "an empty or new folder for the files to copy", Required = true };
            var rid = new Option<string>("--rid") { Description = $"target runtime (default {d.DefaultRid}): linux-arm64 or linux-x64", DefaultValueFactory = _ => d.DefaultRid };
            rid.AcceptOnlyFromAmong("linux-arm64", "linux-x64");
            var verb = new Command(d.Name, $"publishes {d.Executable} (default --rid {d.DefaultRid})") { output, rid };
            verb.SetAction(async (parse, ct) => await RunAsync(d, parse.GetValue(output)!, parse.GetValue(rid)!, ct));
            publish.Subcommands.Add(verb);
        }

        root.Subcommands.Add(publish);
    }

    private static async Task<int> RunAsync(Deployable deployable, DirectoryInfo output, string rid, CancellationToken ct)
    {
        string? repo = SourceTree.Find(AppContext.BaseDirectory);
        if (repo is null)
        {
            return Fail($"no source tree (Maebashi.Edge.sln) above {AppContext.BaseDirectory}; run it through ./maebashi-edge of a clone");
        }

        if (output.Exists && output.EnumerateFileSystemInfos().Any())
        {
            return Fail($"--out {output.FullName} is not empty; give an empty or new folder (a stale file would ship with the new ones)");
        }

        string project = Path.Combine(repo, deployable.Project);
        Console.Error.WriteLine($"maebashi-edge publish: {deployable.Name} for {rid} (ReadyToRun, framework-dependent)…");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "publish", project, "-c", "Release", "-r", rid, "--self-contained", "false",
            "-p:PublishReadyToRun=true", "-o", output.FullName, "--nologo", "-v", "quiet", "-clp:ErrorsOnly",
        })
        {
            psi.ArgumentList.Add(a);
        }

        using (Process p = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start"))
        {
            Task<string> stdout = p.StandardOutput.ReadToEndAsync(CancellationToken.None);
            Task<string> stderr = p.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await p.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                return ExitCodes.Usage;
            }

            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine(await stdout + await stderr);
                return Fail($"dotnet publish of {deployable.Project} failed");
            }
        }

        return Check(deployable, output.FullName, rid);
    }

    /// <summary>Refuses a publish that carries a forbidden assembly or one of ours without a ReadyToRun header.</summary>
    private static int Check(Deployable deployable, string dir, string rid)
    {
        var problems = new List<string>();
        string[] assemblies = Directory.GetFiles(dir, "*.dll");
        foreach (string file in assemblies)
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (deployable.Forbids(name))
            {
                problems.Add($"{name}.dll must not ship in the {deployable.Name}");
            }
            else if ((name.StartsWith("Maebashi.Edge.", StringComparison.Ordinal) || name == deployable.Executable) && !IsReadyToRun(file))
            {
                problems.Add($"{name}.dll has no ReadyToRun code");
            }
        }

        if (!File.Exists(Path.Combine(dir, deployable.Executable)))
        {
            problems.Add($"the executable {deployable.Executable} is missing");
        }

        if (problems.Count > 0)
        {
            foreach (string problem in problems)
            {
                Console.Error.WriteLine($"maebashi-edge publish: {problem}");
            }

            return ExitCodes.Problems;
        }

        long bytes = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.Out.WriteLine(FormattableString.Invariant(
            $"published {deployable.Name} for {rid}: {assemblies.Length} assemblies, {bytes / 1048576.0:F1} MiB, run {Path.Combine(dir, deployable.Executable)} (needs the .NET 10 runtime{(deployable == Deployable.Ingest ? " and ASP.NET Core runtime" : "")})"));
        return ExitCodes.Ok;
    }

    /// <summary>A ReadyToRun image keeps IL and adds a managed native header that points at its precompiled code.</summary>
    internal static bool IsReadyToRun(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new PEReader(stream);
        CorHeader? cor = pe.PEHeaders.CorHeader;
        return cor is not null && cor.ManagedNativeHeaderDirectory.Size > 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"maebashi-edge publish: {message}");
        return ExitCodes.Usage;
    }
}
