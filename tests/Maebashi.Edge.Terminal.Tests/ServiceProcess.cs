using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>The real service, <c>maebashi-edge terminal run --config FILE</c>, as a child process.</summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process) => _process = process;

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "maebashi-edge.dll");

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static async Task<ServiceProcess> StartAsync(string configPath)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CliDll);
        psi.ArgumentList.Add("terminal");
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(configPath);
        var p = new Process { StartInfo = psi };
        var sp = new ServiceProcess(p);
        p.OutputDataReceived += (_, e) => sp.OnLine(e.Data);
        p.ErrorDataReceived += (_, e) => sp.OnLine(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Task exited = p.WaitForExitAsync();
        Task first = await Task.WhenAny(sp._ready.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
        if (first == exited)
        {
            throw new InvalidOperationException("the service exited at start: " + sp.Output);
        }

        return sp;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains(" running: ", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            KillHard();
        }

        _process.Dispose();
    }
}
