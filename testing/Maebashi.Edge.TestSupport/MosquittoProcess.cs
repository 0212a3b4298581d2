using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Maebashi.Edge.Broker;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// A real Mosquitto broker started from Debian's package, for tests, faults, benchmarks and the demo:
/// start, kill -9, restart on the same persistence directory.
/// </summary>
public sealed class MosquittoProcess : IDisposable
{
    public const string DefaultBinary = "/usr/sbin/mosquitto";

    private readonly string _config;
    private ChildProcess? _process;
    private string _earlierLog = "";

    private MosquittoProcess(string config, int port, int? tlsPort, MosquittoConfigFiles files)
    {
        _config = config;
        Port = port;
        TlsPort = tlsPort;
        Files = files;
    }

    /// <summary>The plain listener (loopback).</summary>
    public int Port { get; }

    /// <summary>The TLS listener, when started with <see cref="MosquittoTls"/>.</summary>
    public int? TlsPort { get; }
    public MosquittoConfigFiles Files { get; }

    /// <summary>What the broker wrote, over all its runs, for test failure messages.</summary>
    public string Log => _earlierLog + _process?.Log;

    public static bool IsInstalled => File.Exists(DefaultBinary);

    /// <summary>
    /// Writes a configuration for the registry in <paramref name="dir"/> on a free loopback port (and a TLS listener on
    /// another when <paramref name="tls"/> is given) and starts the broker.
    /// </summary>
    public static MosquittoProcess Start(CityRegistry registry, string dir, TimeSpan timeout, MosquittoTls? tls = null)
    {
        int port = LoopbackPorts.Free();
        int? tlsPort = tls is null ? null : LoopbackPorts.Free();
        MosquittoConfigFiles files = MosquittoConfigWriter.Write(registry, new MosquittoConfigOptions
        {
            OutDir = dir,
            Port = port,
            RunAsUser = Environment.UserName,
            AutosaveSeconds = 1,
            TlsCertFile = tls?.CertFile,
            TlsKeyFile = tls?.KeyFile,
            TlsCaFile = tls?.CaFile,
            TlsPort = tlsPort ?? 8883,
            RequireClientCertificate = tls?.RequireClientCertificate ?? false,
        });
        var broker = new MosquittoProcess(files.Config, port, tlsPort, files);
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
            throw new InvalidOperationException($"{DefaultBinary} not found: install Debian's mosquitto package (./test does)");
        }

        if (_process is not null)
        {
            _earlierLog += _process.Log + "\n";
            _process.Dispose();
        }

        _process = ChildProcess.Start("mosquitto", DefaultBinary, ["-c", _config]);
        WaitUntilListening(_process, timeout);
    }

    /// <summary>kill -9: no snapshot, no goodbye.</summary>
    public void Kill() => _process?.KillHard();

    public void Dispose() => _process?.Dispose();

    private void WaitUntilListening(ChildProcess process, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {process.Process.ExitCode}: {Log}");
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
                process.Process.WaitForExit(20);
            }
        }
    }
}

/// <summary>The TLS listener of a test broker: its server certificate and key, and the devices' CA when it asks for client certificates.</summary>
public sealed record MosquittoTls(string CertFile, string KeyFile, string? CaFile = null, bool RequireClientCertificate = false);
