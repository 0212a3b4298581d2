using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Logging;

namespace Maebashi.Edge.Terminal.Hosting;

/// <summary>
/// The vehicle's local input and the simulator's door, on 127.0.0.1 only: one command per line,
/// one answer per line (<c>ok …</c> or <c>error …</c>).
/// <code>
/// route R01            the run's route (announcement unit; holds until the end of the run, over the GPS)
/// stop S03             the current stop (the driver's: holds until the GPS arrives at another stop)
/// at R01 S03           both at once
/// end                  end of the run: trip_end
/// tap TECH UIDHEX [READER]   a card read at a reader (default: the first injected one)
/// status               the status JSON
/// </code>
/// Further commands come from <see cref="TerminalParts.ControlCommands"/> (the emulation side's
/// <c>place</c> and <c>remove</c>).
/// </summary>
public sealed class ControlListener : IDisposable
{
    private readonly TerminalRuntime _terminal;
    private readonly TcpListener _listener;
    private readonly ILogger _log;
    private readonly IReadOnlyList<IControlCommand> _extensions;
    private readonly string _unknown;

    internal ControlListener(TerminalRuntime terminal, int port, IReadOnlyList<IControlCommand> extensions, ILogger log)
    {
        _terminal = terminal;
        _log = log;
        _extensions = [.. extensions];
        IEnumerable<string> usages = ["route R", "stop S", "at R S", "end", "tap TECH UIDHEX [READER]", .. _extensions.Select(c => c.Usage), "status"];
        _unknown = $"error unknown command ({string.Join(" | ", usages)})";
        _listener = new TcpListener(IPAddress.Loopback, port);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    internal void Start() => _listener.Start();

    internal async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log.LogWarning("Control socket: {Error}", e.Message);
                continue;
            }

            // A thread of its own per connection, as a reader's polling loop has: a tap read from the socket is
            // decided at once on this thread, never queued behind the thread pool's work (a draining uplink).
            new Thread(() => Serve(client, ct)) { IsBackground = true, Name = "control connection" }.Start();
        }
    }

    private void Serve(TcpClient client, CancellationToken ct)
    {
        // Closing the socket ends a blocking read when the terminal stops.
        using (client)
        using (ct.Register(client.Dispose))
        {
            try
            {
                client.NoDelay = true;
                NetworkStream stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                while (!ct.IsCancellationRequested && reader.ReadLine() is { } line)
                {
                    if (line.Trim().Length == 0)
                    {
                        continue;
                    }

                    // The commands complete synchronously (a tap is decided and recorded on this thread).
                    writer.WriteLine(HandleAsync(line.Trim(), ct).GetAwaiter().GetResult());
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                _log.LogDebug("Control connection closed: {Error}", e.Message);
            }
        }
    }

    /// <summary>Runs one command line and returns the answer line.</summary>
    public async Task<string> HandleAsync(string line, CancellationToken cancellationToken = default)
    {
        string[] w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (w[0])
            {
                case "route" when w.Length == 2:
                    return SetPosition(w[1], null);
                case "stop" when w.Length == 2:
                    return SetPosition(null, w[1]);
                case "at" when w.Length == 3:
                    return SetPosition(w[1], w[2]);
                case "end" when w.Length == 1:
                    TapEvent? e = _terminal.Pipeline.EndOfRun();
                    return e is null ? "error not a bus terminal" : $"ok trip_end seq={e.Seq}";
                case "tap" when w.Length is 3 or 4:
                    return await TapAsync(w[1], w[2], w.Length == 4 ? w[3] : null);
                case "status" when w.Length == 1:
                    return "ok " + Encoding.UTF8.GetString(ContractJson.Serialize(_terminal.Status(_terminal.Ledger.DiskFull ? "degraded" : "online")));
                default:
                    IControlCommand? extension = _extensions.FirstOrDefault(c => c.Verb == w[0] && c.Accepts(w.Length - 1));
                    return extension is null ? _unknown : await extension.RunAsync(_terminal, w[1..], cancellationToken);
            }
        }
        catch (Exception e)
        {
            _log.LogWarning("Control command {Command} failed: {Error}", w[0], e.Message);
            return "error " + e.Message;
        }
    }

    private string SetPosition(string? route, string? stop)
    {
        var routes = _terminal.Cloud.Config?.Routes;
        string? current = route ?? _terminal.Vehicle.Current.Route;
        if (routes is not null && route is not null && routes.All(r => r.Id != route))
        {
            return $"error unknown route {route}";
        }

        if (routes is not null && stop is not null && current is not null &&
            routes.FirstOrDefault(r => r.Id == current) is { } def && def.Stops.All(s => s.Id != stop))
        {
            return $"error stop {stop} is not on route {current}";
        }

        _terminal.Vehicle.Set(route, stop);
        (string? r2, string? s2) = _terminal.Vehicle.Current;
        return $"ok route={r2 ?? "-"} stop={s2 ?? "-"}";
    }

    private async Task<string> TapAsync(string tech, string uidHex, string? readerName)
    {
        if (!CardTechs.TryParse(tech, out CardTech t))
        {
            return $"error unknown card tech '{tech}' (expected {string.Join(", ", CardTechs.All)})";
        }

        if (!Hex.TryParse(uidHex, out byte[] uid))
        {
            return "error uid: expected hex digits";
        }

        if (CardTechs.CheckUidLength(t, uid.Length) is { } why)
        {
            return "error uid: " + why;
        }

        InjectedTapSource? source = readerName is null
            ? _terminal.Sources.OfType<InjectedTapSource>().FirstOrDefault()
            : _terminal.Sources.OfType<InjectedTapSource>().FirstOrDefault(s => s.Name == readerName);
        if (source is null)
        {
            return readerName is null ? "error no injected reader is configured" : $"error no injected reader named {readerName}";
        }

        TapOutcome o = await source.TapAsync(t, uid);
        string seq = o.Seq is { } s ? s.ToString(CultureInfo.InvariantCulture) : "-";
        return $"ok {o.Verdict.ToString().ToLowerInvariant()} seq={seq} {o.Display}";
    }

    public void Dispose() => _listener.Dispose();
}
