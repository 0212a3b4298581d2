using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Demo;

/// <summary>One person's wallet as the API returns it.</summary>
public sealed record PersonReport(string Pid, string Token, int Trips, long Fares, long Value, long Points, long PointsBus, long PointsVolunteer, long PointsHealth);

/// <summary>The demo's final report.</summary>
public sealed record DemoReport(IReadOnlyList<PersonReport> People, IReadOnlyDictionary<string, int> CheckIns, IReadOnlyDictionary<string, int> Participants, long Quarantined, long TapsTaken)
{
    /// <summary>The token of the city card the demo's clone attempt copied, and its run-time status then (<c>clone</c> when caught).</summary>
    public (string Token, string? Status)? CloneAttempt { get; init; }

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public int Trips => People.Sum(p => p.Trips);
    public long Fares => People.Sum(p => p.Fares);
    public long PointsBus => People.Sum(p => p.PointsBus);
    public long PointsVolunteer => People.Sum(p => p.PointsVolunteer);
    public long PointsHealth => People.Sum(p => p.PointsHealth);

    /// <summary>The final report, read from the ingest's HTTP API (so its totals are what the API returns).</summary>
    internal static async Task<DemoReport> ReadAsync(DemoFleet fleet, CancellationToken ct)
    {
        var people = new List<PersonReport>();
        foreach (DemoPerson p in fleet.People)
        {
            (CardTech tech, byte[] uid, _) = p.Cards.First(c => !c.Lost);
            string tok = CardToken.Compute(fleet.Registry.RegionKey, tech, uid);
            JsonNode w = await fleet.GetJson($"api/v1/cards/{tok}/wallet", ct);
            JsonArray trips = w["trips"]!.AsArray();
            people.Add(new PersonReport(
                p.Pid, tok,
                trips.Count,
                trips.Sum(t => t!["charge"]!.GetValue<long>()),
                w["value"]!.GetValue<long>(),
                w["points"]!.GetValue<long>(),
                w["pointsBySource"]!["bus"]!.GetValue<long>(),
                w["pointsBySource"]!["volunteer"]!.GetValue<long>(),
                w["pointsBySource"]!["health"]!.GetValue<long>()));
        }

        // A clinic's check-ins are by day (JST): every day of the run, which spans two when it crosses midnight.
        var checkIns = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ClinicDef c in fleet.Registry.Clinics)
        {
            checkIns[c.Id] = 0;
            foreach (string day in RunDays(fleet.StartedAt, DateTimeOffset.UtcNow))
            {
                checkIns[c.Id] += (await fleet.GetJson($"api/v1/clinics/{c.Id}/checkins?date={day}", ct))["checkins"]!.AsArray().Count;
            }
        }

        var participants = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (EventDef e in fleet.Registry.Events)
        {
            participants[e.Id] = (await fleet.GetJson($"api/v1/events/{e.Id}/participants", ct))["participants"]!.AsArray().Count;
        }

        long quarantined = await CountQuarantine(fleet, ct);
        (string, string?)? clone = null;
        if (fleet.Cards.ClonedUid is { } cloned)
        {
            string tok = CardToken.Compute(fleet.Registry.RegionKey, CardTech.Iso14443A, Convert.ToHexString(cloned));
            clone = (tok, (await fleet.GetJson($"api/v1/cards/{tok}/status", ct))["status"]?.GetValue<string>());
        }

        return new DemoReport(people, checkIns, participants, quarantined, fleet.TapsTaken) { CloneAttempt = clone };
    }

    /// <summary>Records in the quarantine, page by page (the API answers pages, not a count; the demo's are few).</summary>
    private static async Task<long> CountQuarantine(DemoFleet fleet, CancellationToken ct)
    {
        long count = 0;
        string path = "api/v1/quarantine?limit=1000";
        while (true)
        {
            JsonNode page = await fleet.GetJson(path, ct);
            count += page["items"]!.AsArray().Count;
            if (page["next"] is not { } next)
            {
                return count;
            }

            path = "api/v1/quarantine?limit=1000&before=" + next.GetValue<long>().ToString(CultureInfo.InvariantCulture);
        }
    }

    public void Write(TextWriter w)
    {
        w.WriteLine();
        w.WriteLine("== 報告 / Report ==");
        w.WriteLine("person  trips  fares     value    points  (bus/volunteer/health)");
        foreach (PersonReport p in People)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Pid,-7} {p.Trips,5}  ¥{p.Fares,6}  ¥{p.Value,6}  {p.Points,6}  ({p.PointsBus}/{p.PointsVolunteer}/{p.PointsHealth})"));
        }

        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trips and fares / 乗車: {Trips} trips, ¥{Fares} in fares"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"points by source / ポイント: bus {PointsBus}, volunteer {PointsVolunteer}, health {PointsHealth}"));
        w.WriteLine("check-ins / 受付: " + string.Join(", ", CheckIns.Select(c => $"{c.Key} {c.Value}")));
        w.WriteLine("participants / 参加: " + string.Join(", ", Participants.Select(p => $"{p.Key} {p.Value}")));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"quarantine / 隔離: {Quarantined}"));
        if (CloneAttempt is { } c)
        {
            w.WriteLine(c.Status == "clone"
                ? $"clone / 複製: 検知しました、カード {c.Token} は拒否リストへ / caught: card {c.Token} is on the deny list as a suspected clone"
                : $"clone / 複製: card {c.Token} status {c.Status ?? "none"} (not caught)");
        }
        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TOTALS trips={Trips} fares={Fares} points_bus={PointsBus} points_volunteer={PointsVolunteer} points_health={PointsHealth} checkins={CheckIns.Values.Sum()} participants={Participants.Values.Sum()} quarantined={Quarantined} taps={TapsTaken} clones_caught={(CloneAttempt?.Status == "clone" ? 1 : 0)}"));
    }

    /// <summary>The JST dates from <paramref name="from"/> to <paramref name="to"/>, as the API spells them.</summary>
    public static IEnumerable<string> RunDays(DateTimeOffset from, DateTimeOffset to)
    {
        for (DateOnly day = DateOnly.FromDateTime(from.ToOffset(Jst).DateTime), last = DateOnly.FromDateTime(to.ToOffset(Jst).DateTime); day <= last; day = day.AddDays(1))
        {
            yield return day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
    }
}
