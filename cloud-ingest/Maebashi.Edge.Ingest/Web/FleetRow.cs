using System.Globalization;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Http;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>A device as the fleet page shows it, every cell already text (JST times, Japanese first).</summary>
public sealed record FleetRow(
    string Id,
    string Role,
    bool Online,
    string OnlineText,
    bool Alert,
    string LastSeen,
    string LastSeq,
    string Backlog,
    string OldestUnacked,
    string Firmware,
    string Readers,
    string CfgVersion,
    string DenyVersion)
{
    /// <summary>A device offline (or never heard) this long is listed first and marked.</summary>
    public const int OfflineAlertMinutes = 10;

    private const string None = "—";
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>Devices offline past the threshold first (longest silent first), then the rest by id.</summary>
    public static IReadOnlyList<FleetRow> Of(IReadOnlyList<DeviceView> devices, DateTimeOffset now)
    {
        TimeSpan threshold = TimeSpan.FromMinutes(OfflineAlertMinutes);
        return
        [
            .. devices
                .Select(d => (View: d, Silent: d.Online ? (TimeSpan?)null : now - (d.LastHeard ?? DateTimeOffset.MinValue)))
                .Select(x => (x.View, Alert: x.Silent is { } s && s >= threshold, x.Silent))
                .OrderByDescending(x => x.Alert)
                .ThenByDescending(x => x.Alert ? x.Silent : null)
                .ThenBy(x => x.View.Device.Id, StringComparer.Ordinal)
                .Select(x => Row(x.View, x.Alert, now)),
        ];
    }

    private static FleetRow Row(DeviceView d, bool alert, DateTimeOffset now)
    {
        DeviceStatus? s = d.Status;
        return new FleetRow(
            d.Device.Id,
            d.Device.Role,
            d.Online,
            (d.Online, s?.State) switch
            {
                (true, "degraded") => "低下 / Degraded",
                (true, _) => "オンライン / Online",
                _ => "オフライン / Offline",
            },
            alert,
            d.LastHeard is { } heard ? $"{heard.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} ({Ago(now - heard)})" : None,
            d.Progress is { } p ? p.UpTo.ToString(CultureInfo.InvariantCulture) : None,
            s is null ? None : s.Backlog.ToString(CultureInfo.InvariantCulture),
            s?.OldestUnackedAt is { } oldest && s.Backlog > 0 ? Ago(now - oldest) : None,
            s?.Firmware ?? None,
            s?.Readers is { Count: > 0 } readers
                ? $"{readers.Count(r => r.Healthy)}/{readers.Count} 正常 / healthy"
                    + string.Concat(readers.Where(r => !r.Healthy).Select(r => $"; {r.Name}: {r.LastError ?? "異常 / unhealthy"}"))
                : None,
            s?.CfgVersion?.ToString(CultureInfo.InvariantCulture) ?? None,
            s?.DenyVersion?.ToString(CultureInfo.InvariantCulture) ?? None);
    }

    /// <summary>An age in the largest whole units: <c>12分 / 12 min</c>, <c>2時間5分 / 2 h 5 min</c>, <c>3日 / 3 d</c>.</summary>
    public static string Ago(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age switch
        {
            { TotalDays: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}日前 / {(int)age.TotalDays} d ago"),
            { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}時間{age.Minutes}分前 / {(int)age.TotalHours} h {age.Minutes} min ago"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}分前 / {(int)age.TotalMinutes} min ago"),
        };
    }
}
