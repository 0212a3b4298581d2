using System.Diagnostics;
using System.Globalization;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// A process a test, a benchmark or the demo started (the CLI, a service, Mosquitto, a Debian client): its
/// output kept in memory, a way to wait for a line, a polite stop (SIGTERM) and a hard one (kill -9).
/// Disposing kills it if it still runs.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int ErrorTailLines = 40;

    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(30);

    private readonly List<string> _all = [];
    private readonly List<string> _stdout = [];
    private readonly Queue<string> _errTail = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly Action<string>? _echo;

    private ChildProcess(string name, ProcessStartInfo psi, Action<string>? echo)
    {
        Name = name;
        _echo = echo;
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        Process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        Process.OutputDataReceived += (_, e) => OnLine(e.Data, error: false);
        Process.ErrorDataReceived += (_, e) => OnLine(e.Data, error: true);
    }

    /// <summary>The <c>dotnet</c> that runs the tests (<c>dotnet test</c> names it), else the one on PATH.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    public string Name { get; }
    public Process Process { get; }
    public int Pid => Process.Id;
    public bool HasExited => Process.HasExited;

    /// <summary>Standard output so far (without standard error, where the services log).</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_all)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>Everything it printed, both streams in the order the lines arrived, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_all)
            {
                return string.Join('\n', _all);
            }
        }
    }

    /// <summary>The last lines of standard error, for failure messages.</summary>
    public string ErrorTail
    {
        get
        {
            lock (_all)
            {
                return string.Join('\n', _errTail);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="args"/>; <paramref name="echo"/> receives every output line as it comes.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> args, ProcessOptions? options = null, Action<string>? echo = null)
    {
        var child = new ChildProcess(name, StartInfo(fileName, args, options), echo);
        child.Process.Start();
        child.Process.BeginOutputReadLine();
        child.Process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Starts <c>dotnet DLL ARGS…</c>.</summary>
    public static ChildProcess StartDotnet(string name, string dll, IEnumerable<string> args, ProcessOptions? options = null, Action<string>? echo = null) =>
        Start(name, DotnetHost, [dll, .. args], options, echo);

    internal static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> args, ProcessOptions? options)
    {
        var psi = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.RedirectStandardInput = options?.StandardInput is not null;
        if (options?.WorkingDirectory is { } cwd)
        {
            psi.WorkingDirectory = cwd;
        }

        foreach ((string k, string v) in options?.Environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    /// <summary>Completes with the first output line (stdout or stderr) that matches, past or future.</summary>
    /// <exception cref="InvalidOperationException">The process ended without printing such a line.</exception>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken ct = default)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_all)
        {
            if (_all.FirstOrDefault(match) is { } already)
            {
                return Task.FromResult(already);
            }

            _waiters.Add((match, seen));
        }

        Task exited = Process.WaitForExitAsync(ct);
        return WaitAsync();

        async Task<string> WaitAsync()
        {
            Task first = await Task.WhenAny(seen.Task, exited).WaitAsync(timeout, ct);
            if (first == seen.Task)
            {
                return await seen.Task;
            }

            // The process ended: a line it printed just before is still a match.
            lock (_all)
            {
                if (_all.FirstOrDefault(match) is { } last)
                {
                    return last;
                }
            }

            throw new InvalidOperationException($"{Name} exited with {Process.ExitCode} before it was ready: {Log}");
        }
    }

    /// <summary>Waits for the process to end and returns its exit code.</summary>
    /// <exception cref="TimeoutException">It still runs after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        await Process.WaitForExitAsync(ct).WaitAsync(timeout, ct);
        return Process.ExitCode;
    }

    /// <summary>SIGTERM, then kill if it has not ended within <paramref name="grace"/>. Returns the exit code (or -1 when killed).</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (Process.HasExited)
        {
            return Process.ExitCode;
        }

        // .NET has no SIGTERM of another process; kill(1) sends it.
        using (Process kill = System.Diagnostics.Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start"))
        {
            await kill.WaitForExitAsync();
            if (kill.ExitCode != 0 && !Process.HasExited)
            {
                throw new InvalidOperationException($"kill -TERM {Pid} failed with {kill.ExitCode}");
            }
        }

        try
        {
            await Process.WaitForExitAsync().WaitAsync(grace);
            return Process.ExitCode;
        }
        catch (TimeoutException)
        {
            KillHard();
            return -1;
        }
    }

    /// <summary>kill -9 of the process and its children: no shutdown code runs.</summary>
    public void KillHard()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(KillWait);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
    }

    public void Dispose()
    {
        KillHard();
        Process.Dispose();
    }

    private void OnLine(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>> matched = [];
        lock (_all)
        {
            if (error)
            {
                _errTail.Enqueue(line);
                if (_errTail.Count > ErrorTailLines)
                {
                    _errTail.Dequeue();
                }
            }
            else
            {
                _stdout.Add(line);
            }

            _all.Add(line);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    matched.Add(_waiters[i].Seen);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (TaskCompletionSource<string> m in matched)
        {
            m.TrySetResult(line);
        }

        _echo?.Invoke(error ? "(stderr) " + line : line);
    }
}
