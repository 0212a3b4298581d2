using System.Diagnostics;

namespace Maebashi.Edge.TestSupport;

/// <summary>What a program that ran to its end left: exit code, standard output, standard error.</summary>
public readonly record struct ProcessResult(int Exit, string Out, string Err);

/// <summary>Runs a program to its end (a CLI verb, <c>mosquitto_pub</c>, <c>mosquitto_passwd</c>…) and returns what it printed.</summary>
public static class ProcessRunner
{
    /// <exception cref="TimeoutException">It did not end within <paramref name="timeout"/> (it is killed).</exception>
    public static ProcessResult Run(string fileName, IEnumerable<string> args, TimeSpan timeout, ProcessOptions? options = null)
    {
        string[] argv = [.. args];
        using Process p = Start(fileName, argv, options);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (options?.StandardInput is { } input)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }

        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw Timeout(fileName, argv, timeout);
        }

        return new ProcessResult(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <exception cref="TimeoutException">It did not end within <paramref name="timeout"/> (it is killed).</exception>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, ProcessOptions? options = null)
    {
        string[] argv = [.. args];
        using Process p = Start(fileName, argv, options);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (options?.StandardInput is { } input)
        {
            await p.StandardInput.WriteAsync(input);
            p.StandardInput.Close();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw Timeout(fileName, argv, timeout);
        }

        return new ProcessResult(p.ExitCode, await stdout, await stderr);
    }

    private static Process Start(string fileName, string[] argv, ProcessOptions? options) =>
        Process.Start(ChildProcess.StartInfo(fileName, argv, options)) ?? throw new InvalidOperationException($"{fileName} did not start");

    private static TimeoutException Timeout(string fileName, string[] args, TimeSpan timeout) =>
        new($"{fileName} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
}
