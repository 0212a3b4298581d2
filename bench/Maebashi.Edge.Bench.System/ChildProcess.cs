using System.Diagnostics;

namespace Maebashi.Edge.Bench.WholeSystem;

/// <summary>
/// A process the benchmark started (a harness, a terminal, the ingest): its output kept in memory,
/// a way to wait for a line, a polite stop (SIGTERM) and a hard one. Disposing kills it if it still runs.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly List<string> _out = [];
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

    public string Name { get; }
    public Process Process { get; }
    public int Pid => Process.Id;

    /// <summary>Standard output so far (without standard error, where the services log).</summary>
    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_out)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>The last lines of standard error, for failure messages.</summary>
    public string ErrorTail
    {
        get
        {
            lock (_out)
            {
                return string.Join('\n', _errTail);
            }
        }
    }

    /// <summary>Starts <c>dotnet DLL ARGS…</c>; <paramref name="echo"/> receives every output line as it comes.</summary>
    public static ChildProcess StartDotnet(string name, string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, Action<string>? echo = null)
    {
        var psi = new ProcessStartInfo("dotnet");
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string k, string v) in environment)
        {
            psi.Environment[k] = v;
        }

        var child = new ChildProcess(name, psi, echo);
        child.Process.Start();
        child.Process.BeginOutputReadLine();
        child.Process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Completes with the first output line (stdout or stderr) that matches, past or future.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_out)
        {
            if (_out.FirstOrDefault(match) is { } already)
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
            lock (_out)
            {
                if (_out.FirstOrDefault(match) is { } last)
                {
                    return last;
                }
            }

            throw new InvalidOperationException($"{Name} exited with {Process.ExitCode} before it was ready: {ErrorTail}");
        }
    }

    /// <summary>SIGTERM, then kill if it has not ended within <paramref name="grace"/>. Returns the exit code (or -1 when killed).</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (Process.HasExited)
        {
            return Process.ExitCode;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false }))
        {
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
        }

        try
        {
            await Process.WaitForExitAsync().WaitAsync(grace);
            return Process.ExitCode;
        }
        catch (TimeoutException)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
            return -1;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        Process.Dispose();
    }

    private void OnLine(string? line, bool error)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>> matched = [];
        lock (_out)
        {
            if (error)
            {
                _errTail.Enqueue(line);
                if (_errTail.Count > 40)
                {
                    _errTail.Dequeue();
                }
            }

            else
            {
                _stdout.Add(line);
            }

            _out.Add(line);
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
