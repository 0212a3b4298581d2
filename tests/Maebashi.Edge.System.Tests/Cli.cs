using System.Diagnostics;

namespace Maebashi.Edge.System.Tests;

/// <summary>Runs the maebashi-edge program as a technician does.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
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
        Assert.True(p.WaitForExit(60_000), "maebashi-edge did not finish within 60 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
