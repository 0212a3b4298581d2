using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Gps;
using Maebashi.Edge.Terminal.Emulation.Gps;
using Maebashi.Edge.Terminal.Gps;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>The bus finds its stops by GPS (issue 16, docs/gps.md): replays of the emulated receiver into the detector.</summary>
[Trait("Category", "Gtfs")]
public class GpsStopDetectionTests
{
    private static GpsReplay ThereAndBack(ReplayRoute r, GpsNoise noise) => new(r.Route, r.ThereAndBack(), noise);

    [Fact]
    public void A_clean_replay_passes_every_stop_in_order_by_the_geofence_out_and_back()
    {
        ReplayRoute r = ReplayRoutes.Generate("R1", 11, stops: 8);
        GpsReplay replay = ThereAndBack(r, GpsNoise.None);
        replay.RunToEnd();

        Assert.Equal(replay.Drive.Visits.Select(v => v.Stop), replay.Passages.Select(p => p.Stop));
        Assert.All(replay.Passages, p => Assert.Equal(PassedBy.Geofence, p.By));
        Assert.All(replay.Passages, p => Assert.Equal("R1", p.Route));
        // Each passage while the bus is there: from just before it stops to before it leaves.
        for (int k = 0; k < replay.Passages.Count; k++)
        {
            double at = (replay.Passages[k].At - replay.Receiver.Start).TotalSeconds;
            Assert.InRange(at, replay.Drive.Visits[k].Second - 10, replay.Drive.Visits[k].LeftSecond);
        }
    }

    [Theory]
    [InlineData(15, 3)]
    [InlineData(30, 5)]
    public void A_noisy_replay_with_dropouts_and_a_tunnel_passes_the_stops_in_order(double sigma, int seed)
    {
        ReplayRoute r = ReplayRoutes.Generate("R2", seed, stops: 12);
        GpsReplay replay = ThereAndBack(r, new GpsNoise(sigma, seed));
        Assert.Contains(Enumerable.Range(0, replay.Receiver.Length), s => replay.Receiver.FixAt(s) is null && !replay.Drive.Seconds[s].InTunnel);
        replay.RunToEnd();

        TrialResult score = StopDetectionTrial.Score(replay.Drive.Visits, replay.Passages, replay.Receiver.Start, replay.Receiver.Length);
        Assert.Equal(0, score.Invented);
        // Every stop the receiver had a fix at while the bus stood there is found by the geofence, in order.
        string[] seen = [.. replay.Drive.Visits.Where(v => Enumerable.Range(v.Second, v.LeftSecond - v.Second).Count(s => replay.Receiver.FixAt(s) is not null) >= 5).Select(v => v.Stop)];
        Assert.Equal(seen, replay.Passages.Where(p => p.By == PassedBy.Geofence && seen.Contains(p.Stop)).Select(p => p.Stop));
        Assert.True(score.Right >= score.Passages - 1, $"{score}");
    }

    [Fact]
    public void Stops_150_m_apart_are_told_apart_at_30_m_of_noise()
    {
        RouteDef route = GpsReplay.Straight("C", 9, ReplayRoutes.MinStopSpacing);
        var drive = GpsDrive.Along(route, route.Patterns!, 8, _ => 20);
        var replay = new GpsReplay(route, drive, new GpsNoise(30, 1502) { Dropouts = false });
        replay.RunToEnd();

        Assert.Equal(drive.Visits.Select(v => v.Stop), replay.Passages.Select(p => p.Stop));
        Assert.All(replay.Passages, p => Assert.Equal(PassedBy.Geofence, p.By));
    }

    [Fact]
    public void The_tunnel_gives_no_fix_for_300_m_and_the_stops_after_it_are_found()
    {
        RouteDef route = GpsReplay.Straight("T", 5, 250);
        var drive = GpsDrive.Along(route, [route.Patterns![0]], 10, _ => 20);
        var replay = new GpsReplay(route, drive, GpsNoise.None);
        int[] dark = [.. Enumerable.Range(0, replay.Receiver.Length).Where(s => replay.Receiver.FixAt(s) is null)];
        // 300 m at 10 m/s: half a minute without a fix, in the middle of the 600 m stretch.
        Assert.InRange(dark.Length, 29, 31);
        Assert.Equal(dark.Length - 1, dark[^1] - dark[0]);
        Assert.All(dark, s => Assert.True(drive.Seconds[s].InTunnel));
        replay.RunToEnd();

        Assert.Equal(["T-S01", "T-S02", "T-S03", "T-S04", "T-S05"], replay.Passages.Select(p => p.Stop));
    }

    [Fact]
    public void A_route_too_short_for_the_tunnel_is_refused_by_name_unless_the_drive_leaves_the_tunnel_out()
    {
        RouteDef route = GpsReplay.Straight("S", 3, 150);
        route.Stops[^1].Lat = route.Stops[1].Lat + (route.Stops[1].Lat - route.Stops[0].Lat);

        var e = Assert.Throws<ArgumentException>(() => GpsDrive.Along(route, [route.Patterns![0]], 9, _ => 20));
        Assert.StartsWith("route S: its longest stretch between stops is 150 m; the 300 m tunnel needs 500 m", e.Message, StringComparison.Ordinal);
        GpsDrive drive = GpsDrive.Along(route, [route.Patterns![0]], 9, _ => 20, tunnel: false);
        Assert.DoesNotContain(drive.Seconds, d => d.InTunnel);
        Assert.Equal(["S-S01", "S-S02", "S-S03"], drive.Visits.Select(v => v.Stop));
    }

    [Fact]
    public void A_stop_unseen_in_a_dropout_is_passed_by_sequence_in_order_when_the_next_is_reached()
    {
        RouteDef route = GpsReplay.Straight("D", 6, 300);
        var drive = GpsDrive.Along(route, [route.Patterns![0]], 9, _ => 20);
        StopVisit hidden = drive.Visits[2];
        var detector = new StopDetector([route]);
        var passages = new List<StopPassage>();
        var start = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        for (int s = 0; s < drive.Seconds.Count; s++)
        {
            DriveSecond d = drive.Seconds[s];
            (double lat, double lon) = drive.Frame.ToWgs84(d.East, d.North);
            // No fix from 30 s before the bus stops at D-S03 until 30 s after it left.
            bool dark = s >= hidden.Second - 30 && s < hidden.LeftSecond + 30;
            passages.AddRange(detector.Feed(dark ? GpsFix.None(start.AddSeconds(s)) : new GpsFix(start.AddSeconds(s), true, lat, lon, d.SpeedMetresPerSecond, d.Bearing)));
        }

        Assert.Equal(["D-S01", "D-S02", "D-S03", "D-S04", "D-S05", "D-S06"], passages.Select(p => p.Stop));
        Assert.Equal(PassedBy.Sequence, passages[2].By);
        Assert.Equal(passages[3].At, passages[2].At);
        Assert.All(passages.Where((_, i) => i != 2), p => Assert.Equal(PassedBy.Geofence, p.By));
    }

    [Fact]
    public void The_direction_is_inferred_from_the_stops_passed_and_turns_at_the_terminus()
    {
        ReplayRoute r = ReplayRoutes.Generate("R3", 21, stops: 6);
        GpsReplay replay = ThereAndBack(r, new GpsNoise(15, 21) { Dropouts = false });
        VehiclePosition Position() => replay.Tracker.Position!;

        replay.RunUntil(() => replay.Passages.Count == 1);
        Assert.Null(Position().Direction); // the first stop alone: out from here, or the end of the way back
        replay.RunUntil(() => replay.Passages.Count == 2);
        Assert.Equal(0, Position().Direction);
        Assert.Equal("R3", Position().Route);
        Assert.Equal(("R3-S02", VehicleStopStatuses.StoppedAt), (Position().Stop, Position().StopStatus));
        replay.RunUntil(() => replay.Tracker.Position!.StopStatus == VehicleStopStatuses.InTransitTo);
        Assert.Equal("R3-S03", Position().Stop);
        replay.RunUntil(() => replay.Tracker.Position!.StopStatus == VehicleStopStatuses.IncomingAt);
        Assert.Equal("R3-S03", Position().Stop);

        replay.RunUntil(() => replay.Passages.Count == 6);
        Assert.Equal("R3-S06", replay.Passages[^1].Stop);
        Assert.Equal(0, Position().Direction); // at the terminus: still the trip that ended here
        replay.RunUntil(() => replay.Tracker.Position!.StopStatus != VehicleStopStatuses.StoppedAt);
        Assert.Null(Position().Direction); // it may turn, or run the route again: the next stop tells
        replay.RunUntil(() => replay.Passages.Count == 7);
        Assert.Equal("R3-S05", replay.Passages[^1].Stop);
        Assert.Equal(1, Position().Direction);

        replay.RunToEnd();
        Assert.Equal(replay.Drive.Visits.Select(v => v.Stop), replay.Passages.Select(p => p.Stop));
    }

    [Fact]
    public void Without_a_route_set_the_route_is_inferred_among_the_cfgs_routes()
    {
        ReplayRoute a = ReplayRoutes.Generate("RA", 31, stops: 6), b = ReplayRoutes.Generate("RB", 32, stops: 6);
        GpsReplay replay = ThereAndBack(b, GpsNoise.None);
        replay.Config = GpsReplay.BusConfig(a.Route, b.Route);
        replay.RunUntil(() => replay.Passages.Count == 2);

        Assert.Equal("RB", replay.Vehicle.Route);
        Assert.Equal("RB-S02", replay.Vehicle.Stop);
        Assert.Equal(StopSources.Gps, replay.Vehicle.StopSource);
    }

    [Theory]
    [InlineData(15, 99)]
    [InlineData(30, 95)]
    public void Stop_detection_meets_the_budget_over_the_replayed_routes(double sigma, double percent)
    {
        TrialResult result = StopDetectionTrial.Run(sigma, StopDetectionTrial.BudgetRoutes);

        Assert.Equal(248, result.Passages);
        Assert.True(result.Percent >= percent, $"σ = {sigma} m: {result} ({result.Percent:0.0}%, budget ≥ {percent}%)");
    }
}
