using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// A connection to a terminal's local control socket (its port in <c>control.port</c> of the state directory):
/// one command line, one answer line.
/// </summary>
public sealed class ControlClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    /// <summary>Connects to the terminal whose state directory is <paramref name="stateDirectory"/>.</summary>
    public ControlClient(string stateDirectory)
        : this(Connect(PortOf(stateDirectory)))
    {
    }

    private ControlClient(TcpClient tcp)
    {
        _tcp = tcp;
        NetworkStream s = tcp.GetStream();
        _reader = new StreamReader(s, Encoding.UTF8);
        // Flushed by each method: a pipelined burst goes out as few segments, a single command at once.
        _writer = new StreamWriter(s, new UTF8Encoding(false)) { NewLine = "\n" };
    }

    /// <summary>The control port the terminal wrote into its state directory.</summary>
    public static int PortOf(string stateDirectory) =>
        int.Parse(File.ReadAllText(Path.Combine(stateDirectory, "control.port")).Trim(), CultureInfo.InvariantCulture);

    public static async Task<ControlClient> ConnectAsync(int port, CancellationToken ct)
    {
        TcpClient tcp = NewTcp();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
            return new ControlClient(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends a command and returns its answer.</summary>
    public async Task<string> SendAsync(string command, CancellationToken ct = default)
    {
        await WriteAsync(command, ct);
        return await _reader.ReadLineAsync(ct) ?? throw new IOException("the terminal closed the control socket");
    }

    /// <summary>
    /// Sends a command and waits for its answer on the calling thread, a blocking read: a latency sample then holds the
    /// terminal's round trip, not a hand-over to this process's thread pool when the answer arrives.
    /// </summary>
    public string Send(string command)
    {
        _writer.WriteLine(command);
        _writer.Flush();
        return _reader.ReadLine() ?? throw new IOException("the terminal closed the control socket");
    }

    /// <summary>Sends a command without waiting for its answer (read it with <see cref="ReadAsync"/>).</summary>
    public async Task WriteAsync(string command, CancellationToken ct = default)
    {
        await _writer.WriteLineAsync(command.AsMemory(), ct);
        await _writer.FlushAsync(ct);
    }

    /// <summary>The next answer; null when the terminal closed the socket.</summary>
    public async Task<string?> ReadAsync(CancellationToken ct = default) => await _reader.ReadLineAsync(ct);

    /// <summary>Sends many commands without waiting between them and returns the answers in order.</summary>
    public async Task<List<string>> PipelineAsync(IReadOnlyList<string> commands, CancellationToken ct)
    {
        Task send = Task.Run(async () =>
        {
            foreach (string c in commands)
            {
                await _writer.WriteLineAsync(c.AsMemory(), ct);
            }

            await _writer.FlushAsync(ct);
        }, ct);
        var answers = new List<string>(commands.Count);
        while (answers.Count < commands.Count)
        {
            answers.Add(await _reader.ReadLineAsync(ct) ?? throw new IOException("the terminal closed the control socket"));
        }

        await send;
        return answers;
    }

    /// <summary>The backlog the terminal reports in its status (entries not yet acknowledged by the ingest).</summary>
    public async Task<long> BacklogAsync(CancellationToken ct)
    {
        string answer = await SendAsync("status", ct);
        if (!answer.StartsWith("ok ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"status: {answer}");
        }

        using JsonDocument doc = JsonDocument.Parse(answer[3..]);
        return doc.RootElement.GetProperty("backlog").GetInt64();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _writer.Dispose();
        _tcp.Dispose();
    }

    // Small request/answer lines: without NoDelay, Nagle and delayed acks would add tens of ms.
    private static TcpClient NewTcp() => new() { NoDelay = true };

    private static TcpClient Connect(int port)
    {
        TcpClient tcp = NewTcp();
        try
        {
            tcp.Connect(IPAddress.Loopback, port);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
