using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Maebashi.Edge.TestSupport;

/// <summary>A connection to a terminal's control socket (port in <c>control.port</c> of its state directory): one command line, one answer line.</summary>
internal sealed class ControlClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    public ControlClient(string stateDirectory)
    {
        int port = int.Parse(File.ReadAllText(Path.Combine(stateDirectory, "control.port")).Trim(), CultureInfo.InvariantCulture);
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
