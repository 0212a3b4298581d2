using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Ledger;
using Maebashi.Edge.Terminal.Uplink;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;

namespace Maebashi.Edge.Terminal.Doctor;

public enum CheckLevel
{
    Ok,
    Warn,
    Fail,
}

public sealed record DoctorCheck(string Name, CheckLevel Level, string Detail)
{
    public override string ToString() => $"{Level.ToString().ToUpperInvariant(),-4}  {Name,-14} {Detail}";
}

/// <summary>
/// <c>maebashi-edge terminal doctor</c>: what a field technician checks on a terminal — readers,
/// broker reachability and credentials, clock, disk space, ledger integrity, cfg and deny-list age.
/// </summary>
public static class TerminalDoctor
{
    /// <summary>A clock before this is not set (a Pi has no real-time clock).</summary>
    public static readonly DateTimeOffset EarliestSaneClock = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(7);

    public static async Task<List<DoctorCheck>> RunAsync(TerminalOptions o, TerminalParts? parts = null, CancellationToken ct = default)
    {
        parts ??= new TerminalParts();
        TimeProvider time = parts.Time;
        var checks = new List<DoctorCheck> { new("config", CheckLevel.Ok, $"device {o.DeviceId}, role {o.Role}") };

        TerminalSecrets? secrets = null;
        try
        {
            secrets = TerminalSecrets.Load(o);
            checks.Add(new("keys", CheckLevel.Ok, "device and region keys readable, owner-only"));
        }
        catch (SecretFileException e)
        {
            checks.Add(new("keys", CheckLevel.Fail, e.Message));
        }

        foreach (ReaderOptions r in o.Readers)
        {
            checks.Add(CheckReader(r, o, parts));
        }

        if (o.Readers.Count == 0 && parts.ExtraSources.Count == 0)
        {
            checks.Add(new("readers", CheckLevel.Warn, "no reader configured"));
        }

        if (o.Gps.Port is { Length: > 0 })
        {
            checks.Add(await CheckGpsAsync(o, parts, ct));
        }

        checks.AddRange(await CheckBrokerAsync(o, secrets, time, ct));

        DateTimeOffset now = time.GetUtcNow();
        string state = o.Resolve(o.StateDirectory);
        LedgerSummary? summary = null;
        try
        {
            using LedgerAccess access = LedgerAccess.Open(o);
            summary = access.Ledger.Summary();
            IReadOnlyList<string> problems = access.Ledger.Verify();
            string how = access.IsSnapshot ? " (a copy: the service is running)" : "";
            checks.Add(problems.Count == 0
                ? new("ledger", CheckLevel.Ok, $"{summary.Entries} entries intact, backlog {summary.Backlog}, last seq {summary.LastSeq}{how}")
                : new("ledger", CheckLevel.Fail, $"{problems.Count} problem(s): {string.Join("; ", problems.Take(5))}"));
        }
        catch (FileNotFoundException e)
        {
            checks.Add(new("ledger", CheckLevel.Warn, e.Message));
        }
        catch (Exception e) when (e is IOException or LiteDB.LiteException or InvalidOperationException)
        {
            checks.Add(new("ledger", CheckLevel.Fail, $"cannot be opened: {e.Message}"));
        }

        if (now < EarliestSaneClock)
        {
            checks.Add(new("clock", CheckLevel.Fail, $"{now:O} is before {EarliestSaneClock:yyyy-MM-dd}: the clock is not set (check NTP / the RTC)"));
        }
        else if (summary?.OldestUnackedAt is { } oldest && oldest > now + TimeSpan.FromMinutes(5))
        {
            checks.Add(new("clock", CheckLevel.Fail, $"the ledger has taps from {oldest:O}, later than now ({now:O}): the clock went back"));
        }
        else
        {
            checks.Add(new("clock", CheckLevel.Ok, now.ToOffset(o.UtcOffset).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)));
        }

        // Before the first run the state directory does not exist yet: measure where it will be made.
        string? where = state;
        while (where is not null && !Directory.Exists(where))
        {
            where = Path.GetDirectoryName(where);
        }

        long? free = where is null ? null : parts.DiskSpace.FreeBytes(where);
        checks.Add(free switch
        {
            null => new("disk", CheckLevel.Warn, $"free space of {state} unknown"),
            { } f when f < o.Ledger.MinFreeBytes => new("disk", CheckLevel.Fail, $"{Mib(f)} free in {state}, below the {Mib(o.Ledger.MinFreeBytes)} floor: new taps are refused"),
            { } f => new("disk", CheckLevel.Ok, $"{Mib(f)} free in {state}" + (summary is { } s ? $", ledger {Mib(s.SizeBytes)}" : "")),
        });

        var cloud = new CloudState(Directory.Exists(state) ? state : null, o.DeviceId, o.Role, time, NullLogger.Instance);
        checks.Add(Age("cfg", cloud.Config?.Version, cloud.ConfigReceivedAt, now));
        checks.Add(Age("deny list", cloud.DenyVersion, cloud.DenyReceivedAt, now));
        return checks;
    }

    /// <summary>How long the GPS check listens for a fix (a receiver talks once a second).</summary>
    public static readonly TimeSpan GpsListen = TimeSpan.FromSeconds(3);

    /// <summary>The receiver talks NMEA and has a fix: listens for <see cref="GpsListen"/> at most.</summary>
    private static async Task<DoctorCheck> CheckGpsAsync(TerminalOptions o, TerminalParts parts, CancellationToken ct)
    {
        string port = o.Gps.Port!;
        Stream line;
        try
        {
            line = Gps.GpsLine.Open(o.Gps, parts);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return new("gps", CheckLevel.Fail, $"{port}: cannot open ({e.Message}); see hardware/gps-receiver.md");
        }

        var reader = new Gps.NmeaFixReader(parts.Time.GetUtcNow());
        int reports = 0;
        Gps.GpsFix? fix = null;
        await using (line.ConfigureAwait(false))
        {
            using var listen = new CancellationTokenSource(GpsListen, parts.Time);
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, listen.Token);
            byte[] buffer = new byte[256];
            try
            {
                int n;
                while (fix is null && (n = await line.ReadAsync(buffer, both.Token).ConfigureAwait(false)) > 0)
                {
                    foreach (Gps.GpsFix f in reader.Feed(buffer.AsSpan(0, n)))
                    {
                        reports++;
                        fix = f.HasFix ? f : fix;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Listened long enough.
            }
        }

        return (reports, fix) switch
        {
            (0, _) => new("gps", CheckLevel.Fail, string.Create(CultureInfo.InvariantCulture,
                $"{port}: no NMEA position report in {GpsListen.TotalSeconds:0} s at {o.Gps.BaudRate} baud ({reader.Rejected} unreadable line(s)): wiring (receiver TX → Pi RX), Gps:BaudRate, a login console on the port?")),
            (_, null) => new("gps", CheckLevel.Warn, $"{port}: the receiver talks but has no fix yet ({reader.Satellites} satellites): antenna, view of the sky; a cold start takes about 30 s"),
            (_, { } f) => new("gps", CheckLevel.Ok, string.Create(CultureInfo.InvariantCulture,
                $"{port}: fix {f.Lat:0.0000},{f.Lon:0.0000} at {f.At:HH:mm:ss} UTC, {reader.Satellites} satellites")),
        };
    }

    private static DoctorCheck CheckReader(ReaderOptions r, TerminalOptions o, TerminalParts parts)
    {
        try
        {
            var source = parts.ReaderFactories.Select(f => f.Create(r, o, parts.Loggers)).FirstOrDefault(s => s is not null);
            if (source is null)
            {
                return new($"reader {r.Name}", CheckLevel.Fail, $"no driver '{r.Driver}' on this terminal");
            }

            ReaderStatus s = source.Snapshot();
            (source as IDisposable)?.Dispose();
            return new($"reader {r.Name}", s.Healthy ? CheckLevel.Ok : CheckLevel.Fail,
                $"{r.Driver}, reads {string.Join("/", s.Techs)}" + (s.LastError is { } err ? $", last error: {err}" : ""));
        }
        catch (Exception e)
        {
            return new($"reader {r.Name}", CheckLevel.Fail, $"{r.Driver}: {e.Message}");
        }
    }

    private static async Task<List<DoctorCheck>> CheckBrokerAsync(TerminalOptions o, TerminalSecrets? secrets, TimeProvider time, CancellationToken ct)
    {
        BrokerOptions b = o.Broker;
        var list = new List<DoctorCheck>();
        try
        {
            using var tcp = new TcpClient();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(b.ConnectTimeout);
            await tcp.ConnectAsync(b.Host, b.Port, cts.Token);
            list.Add(new("broker", CheckLevel.Ok, $"{b.Host}:{b.Port} reachable"));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            list.Add(new("broker", CheckLevel.Fail, $"{b.Host}:{b.Port} not reachable ({(e is OperationCanceledException ? "timeout" : e.Message)}); taps wait in the ledger"));
            return list;
        }

        if (secrets is null)
        {
            list.Add(new("credentials", CheckLevel.Fail, "not tried: the keys could not be read"));
            return list;
        }

        // Another client id with a clean session, so the running service keeps its session.
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(b.Host, b.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(o.DeviceId + "-doctor")
            .WithCredentials(o.DeviceId, secrets.MqttPassword)
            .WithCleanStart(true)
            .WithTimeout(b.ConnectTimeout);
        string? tlsRefused = null;
        X509Certificate2? serverCertificate = null;
        if (b.Tls)
        {
            try
            {
                builder.WithTlsOptions(t => BrokerTls.Configure(t, o, time, problem => tlsRefused = problem, cert => serverCertificate = cert));
            }
            catch (InvalidOperationException e)
            {
                list.Add(new("tls", CheckLevel.Fail, e.Message));
                return list;
            }
        }

        try
        {
            MqttClientConnectResult r = await client.ConnectAsync(builder.Build(), ct);
            if (b.Tls)
            {
                list.AddRange(TlsChecks(o, serverCertificate, time.GetUtcNow()));
            }

            list.Add(r.ResultCode == MqttClientConnectResultCode.Success
                ? new("credentials", CheckLevel.Ok, $"broker accepted user {o.DeviceId}")
                : new("credentials", CheckLevel.Fail, $"broker refused user {o.DeviceId}: {r.ResultCode}"));
            await client.DisconnectAsync(cancellationToken: ct);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException e)
        {
            if (tlsRefused is not null || b.Tls)
            {
                list.Add(new("tls", CheckLevel.Fail, $"TLS to {b.Host}:{b.Port} failed: {tlsRefused ?? e.Message}; taps wait in the ledger"));
                return list;
            }

            list.Add(new("credentials", CheckLevel.Fail, $"broker refused user {o.DeviceId}: {e.Message}"));
        }
        finally
        {
            serverCertificate?.Dispose();
        }

        return list;
    }

    /// <summary>The handshake that succeeded, and the broker's and the terminal's certificates' remaining validity.</summary>
    private static IEnumerable<DoctorCheck> TlsChecks(TerminalOptions o, X509Certificate2? server, DateTimeOffset now)
    {
        if (server is not null)
        {
            yield return Expiry($"TLS to {o.Broker.Host}:{o.Broker.Port}: the broker's certificate", server, now);
        }

        (X509Certificate2Collection? authorities, X509Certificate2? client) = BrokerTls.Load(o);
        foreach (X509Certificate2 authority in authorities ?? [])
        {
            authority.Dispose();
        }

        if (client is not null)
        {
            using (client)
            {
                yield return Expiry("this terminal's client certificate", client, now);
            }
        }
    }

    private static DoctorCheck Expiry(string what, X509Certificate2 certificate, DateTimeOffset now)
    {
        double days = BrokerTls.DaysLeft(certificate, now);
        string until = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return days <= BrokerTls.ExpiryWarning.TotalDays
            ? new("tls", CheckLevel.Warn, $"{what} ends on {until}, in {Math.Max(0, (int)days)} days: renew it")
            : new("tls", CheckLevel.Ok, $"{what} is valid until {until}");
    }

    private static DoctorCheck Age(string what, long? version, DateTimeOffset? at, DateTimeOffset now)
    {
        if (version is null || at is null)
        {
            return new(what, CheckLevel.Warn, "none received yet (the terminal decides without it)");
        }

        TimeSpan age = now - at.Value;
        string detail = $"version {version}, received {FormatAge(age)} ago";
        return new(what, age > StaleAfter ? CheckLevel.Warn : CheckLevel.Ok, age > StaleAfter ? detail + " (stale: is the terminal offline?)" : detail);
    }

    private static string FormatAge(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays} d {t.Hours} h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : $"{Math.Max(0, (int)t.TotalMinutes)} min";

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MiB");
}
