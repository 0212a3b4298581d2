using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Maebashi.Edge.Broker;

/// <summary>
/// A real Mosquitto broker started from Debian's package, for tests, faults and the demo:
/// start, kill -9, restart on the same persistence directory.
/// </summary>
public sealed class MosquittoProcess : IDisposable
{
    public const string DefaultBinary = "/usr/sbin/mosquitto";

    private readonly string _config;
    private readonly StringWriterLog _log = new();
    private Process? _process;

    private MosquittoProcess(string config, int port, MosquittoConfigFiles files)
    {
        _config = config;
        Port = port;
        Files = files;
    }

    public int Port { get; }
    public MosquittoConfigFiles Files { get; }

    /// <summary>What the broker wrote to stderr, for test failure messages.</summary>
    public string Log => _log.ToString();

    public static bool IsInstalled => File.Exists(DefaultBinary);

    /// <summary>Writes a configuration for the registry in <paramref name="dir"/> on a free loopback port and starts the broker.</summary>
    public static MosquittoProcess Start(Contract.Registry.CityRegistry registry, string dir, TimeSpan timeout)
    {
        int port = FreePort();
        MosquittoConfigFiles files = MosquittoConfigWriter.Write(registry, new MosquittoConfigOptions
        {
            OutDir = dir,
            Port = port,
            RunAsUser = Environment.UserName,
            AutosaveSeconds = 1,
        });
        var broker = new MosquittoProcess(files.Config, port, files);
        broker.Restart(timeout);
        return broker;
    }

    /// <summary>(Re)starts the broker on the same configuration and waits until it accepts connections.</summary>
    public void Restart(TimeSpan timeout)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("mosquitto is already running");
        }

        if (!IsInstalled)
        {
            throw new InvalidOperationException($"{DefaultBinary} not found: install Debian's mosquitto package (.ci/run does)");
        }

        var psi = new ProcessStartInfo(DefaultBinary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_config);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        _process.ErrorDataReceived += (_, e) => _log.Append(e.Data);
        _process.OutputDataReceived += (_, e) => _log.Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        WaitUntilListening(timeout);
    }

    /// <summary>kill -9: no snapshot, no goodbye.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}: {Log}");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < timeout)
            {
                // Not listening yet: the process is starting. Block briefly on its exit instead of spinning.
                _process.WaitForExit(20);
            }
        }
    }

    private static int FreePort() => Maebashi.Edge.Broker.LoopbackPorts.Free();

    private sealed class StringWriterLog
    {
        private readonly System.Text.StringBuilder _text = new();

        public void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_text)
            {
                _text.AppendLine(line);
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
