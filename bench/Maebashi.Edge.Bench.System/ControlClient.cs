using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Maebashi.Edge.Bench.WholeSystem;

/// <summary>A connection to a terminal's local control socket (one command line, one answer line).</summary>
internal sealed class ControlClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    private ControlClient(TcpClient tcp)
    {
        _tcp = tcp;
        NetworkStream s = tcp.GetStream();
        _reader = new StreamReader(s, Encoding.UTF8);
        _writer = new StreamWriter(s, new UTF8Encoding(false)) { NewLine = "\n" };
    }

    public static async Task<ControlClient> ConnectAsync(int port, CancellationToken ct)
    {
        // Small request/answer lines: without NoDelay, Nagle and delayed acks would add tens of ms.
        var tcp = new TcpClient { NoDelay = true };
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

    public async Task<string> AskAsync(string command, CancellationToken ct)
    {
        await _writer.WriteLineAsync(command.AsMemory(), ct);
        await _writer.FlushAsync(ct);
        return await _reader.ReadLineAsync(ct) ?? throw new IOException("the terminal closed the control socket");
    }

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
        string answer = await AskAsync("status", ct);
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
}
