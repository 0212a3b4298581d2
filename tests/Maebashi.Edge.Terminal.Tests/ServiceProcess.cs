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

/// <summary>A connection to the control socket: one command line, one answer line.</summary>
internal sealed class ControlClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    public ControlClient(string stateDirectory)
    {
        int port = int.Parse(File.ReadAllText(Path.Combine(stateDirectory, "control.port")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        _tcp = new TcpClient("127.0.0.1", port);
        NetworkStream s = _tcp.GetStream();
        _reader = new StreamReader(s, Encoding.UTF8);
        _writer = new StreamWriter(s, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
    }

    public async Task<string> SendAsync(string line)
    {
        await _writer.WriteLineAsync(line);
        return await _reader.ReadLineAsync() ?? throw new IOException("control socket closed");
    }

    public Task WriteAsync(string line) => _writer.WriteLineAsync(line);

    public Task<string?> ReadAsync() => _reader.ReadLineAsync();

    public void Dispose()
    {
        _reader.Dispose();
        _writer.Dispose();
        _tcp.Dispose();
    }
}
