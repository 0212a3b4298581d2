using System.Diagnostics;
using System.Reflection.PortableExecutable;

namespace Maebashi.Edge.Architecture.Tests;

/// <summary>
/// <c>./maebashi-edge publish terminal|ingest</c> as a technician runs it: what comes out is what a Pi or a
/// server runs, so it is read file by file — the assemblies it carries, their ReadyToRun code, and the
/// systemd unit's ExecStart naming a program that is there.
/// </summary>
[Trait("Category", "Architecture")]
public sealed class PublishTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("maebashi-publish-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "maebashi-edge.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(8)), "publish did not finish within 8 minutes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static bool HasReadyToRunCode(string file)
    {
        using var pe = new PEReader(File.OpenRead(file));
        return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }

    private static string[] AssemblyNames(string dir) =>
        [.. Directory.GetFiles(dir, "*.dll").Select(Path.GetFileNameWithoutExtension).Select(n => n!)];

    /// <summary>No assembly of the test, bench or test-support side, nor any whose name holds one of <paramref name="parts"/>.</summary>
    private static void AssertCarriesNone(string[] names, params string[] parts) =>
        Assert.DoesNotContain(names, n => n.EndsWith(".Tests", StringComparison.Ordinal)
            || parts.Append("Bench").Append("TestSupport").Any(p => n.Contains(p, StringComparison.Ordinal)));

    /// <summary>The unit's ExecStart= names the published program (its first word's file name), and the unit ships with it.</summary>
    private static void AssertUnitStartsWhatWasPublished(string dir, string executable, string side, string unit)
    {
        string line = File.ReadLines(Path.Combine(Repository.Root, side, "systemd", unit)).Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        Assert.Equal(executable, Path.GetFileName(line["ExecStart=".Length..].Split(' ')[0]));
        Assert.True(File.Exists(Path.Combine(dir, "systemd", unit)), "the unit travels with the program");
    }

    private static void AssertOursAreReadyToRun(string dir, string executable)
    {
        string[] ours = [.. Directory.GetFiles(dir, "*.dll").Where(f =>
            Path.GetFileName(f).StartsWith("Maebashi.Edge.", StringComparison.Ordinal) || Path.GetFileNameWithoutExtension(f) == executable)];
        Assert.NotEmpty(ours);
        Assert.All(ours, f => Assert.True(HasReadyToRunCode(f), $"{Path.GetFileName(f)} has no ReadyToRun header"));
    }

    [Fact]
    public void The_terminal_for_a_pi_carries_no_cloud_or_emulation_and_is_precompiled()
    {
        (int exit, string output, string errors) = Cli("publish", "terminal", "--rid", "linux-arm64", "--out", _dir);
        Assert.True(exit == 0, output + errors);

        string[] names = AssemblyNames(_dir);
        Assert.Contains("maebashi-terminal", names);
        Assert.Contains("Maebashi.Edge.Terminal", names);
        Assert.Contains("Maebashi.Edge.Readers", names);
        AssertCarriesNone(names, "Ingest", "Demo", "Emulation", "Simulator", "Broker");
        AssertOursAreReadyToRun(_dir, "maebashi-terminal");

        // An arm64 ELF program for the Pi, and the unit runs that program.
        byte[] elf = File.ReadAllBytes(Path.Combine(_dir, "maebashi-terminal"))[..20];
        Assert.Equal("\u007fELF"u8.ToArray(), elf[..4]);
        Assert.Equal(183, BitConverter.ToUInt16(elf, 18)); // e_machine EM_AARCH64
        AssertUnitStartsWhatWasPublished(_dir, "maebashi-terminal", "terminal-host", "maebashi-edge-terminal.service");
    }

    [Fact]
    public void The_ingest_for_a_server_carries_no_readers_terminal_or_emulation_and_is_precompiled()
    {
        (int exit, string output, string errors) = Cli("publish", "ingest", "--out", _dir);
        Assert.True(exit == 0, output + errors);

        string[] names = AssemblyNames(_dir);
        Assert.Contains("maebashi-ingest", names);
        Assert.Contains("Maebashi.Edge.Ingest", names);
        AssertCarriesNone(names, "Readers", "Emulation", "Terminal", "Iot.Device", "Demo");
        AssertOursAreReadyToRun(_dir, "maebashi-ingest");

        byte[] elf = File.ReadAllBytes(Path.Combine(_dir, "maebashi-ingest"))[..20];
        Assert.Equal(62, BitConverter.ToUInt16(elf, 18)); // e_machine EM_X86_64, the default --rid linux-x64
        AssertUnitStartsWhatWasPublished(_dir, "maebashi-ingest", "cloud-ingest", "maebashi-edge-ingest.service");
    }

    [Fact]
    public void Publish_refuses_a_folder_that_already_holds_files()
    {
        File.WriteAllText(Path.Combine(_dir, "old.dll"), "stale");
        (int exit, _, string errors) = Cli("publish", "terminal", "--out", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("not empty", errors, StringComparison.Ordinal);
    }
}
