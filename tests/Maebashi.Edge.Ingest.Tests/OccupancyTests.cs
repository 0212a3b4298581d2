using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Time.Testing;
using OccupancyStatus = TransitRealtime.VehiclePosition.Types.OccupancyStatus;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The occupancy estimate (issue 16): accepted boardings minus alightings of a vehicle, by event time, since its last
/// trip_end; late taps land in their trip and never make it negative; bounded by a 180-minute window.
/// </summary>
[Trait("Category", "Gtfs")]
public sealed class OccupancyTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T12:00:00+09:00", CultureInfo.InvariantCulture);

    private static readonly string[] Riders = ["04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C", "04BADA55C0FFEE"];

    private static JsonObject TripEnd(ulong seq, DateTimeOffset at, string vehicle = "V0042") => new()
    {
        ["seq"] = seq,
        ["type"] = "trip_end",
        ["at"] = TestKit.At(at),
        ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = vehicle, ["stop"] = "S07" },
    };

    private static int Aboard(PipelineKit kit, string vehicle = "V0042") => kit.Pipeline.TripOf(vehicle).AboardAt(kit.Time.GetUtcNow());

    [Fact]
    public void Occupancy_is_the_boardings_minus_the_alightings_of_the_vehicle_since_its_last_trip_end()
    {
        using var kit = new PipelineKit(new FakeTimeProvider(Now));
        kit.Send("BUS0042", [.. Riders.Take(4).Select((uid, i) => TestKit.Board((ulong)i + 1, uid, Now.AddMinutes(-20), "S01"))]);
        kit.Send("BUS0042", TestKit.Alight(5, Riders[0], Now.AddMinutes(-10), "S03"));
        kit.Send("BUS0043", TestKit.Board(1, Riders[5], Now.AddMinutes(-9), "S01", vehicle: "V0043"));
        Assert.Equal(3, Aboard(kit));
        Assert.Equal(1, Aboard(kit, "V0043"));

        // The bus reaches the end of the line: a new trip begins empty, and fills again.
        kit.Send("BUS0042", TripEnd(6, Now.AddMinutes(-5)));
        Assert.Equal(0, Aboard(kit));
        kit.Send("BUS0042", TestKit.Board(7, Riders[6], Now.AddMinutes(-2), "S07"));
        Assert.Equal(1, Aboard(kit));
        Assert.Equal(1, Aboard(kit, "V0043"));
    }

    [Fact]
    public void Late_and_out_of_order_taps_count_in_their_own_trip_and_never_make_it_negative()
    {
        using var kit = new PipelineKit(new FakeTimeProvider(Now));
        kit.Send("BUS0042", TripEnd(1, Now.AddMinutes(-60)));

        // An alight that arrives before its boarding: none aboard (not −1), and the boarding makes it none still.
        kit.Send("BUS0042", TestKit.Alight(11, Riders[0], Now.AddMinutes(-10), "S03"));
        Assert.Equal(0, Aboard(kit));
        kit.Send("BUS0042", TestKit.Board(10, Riders[0], Now.AddMinutes(-20), "S01"));
        Assert.Equal(0, Aboard(kit));

        // Alights whose boardings the trip does not hold take no one off a later boarding.
        kit.Send("BUS0042", TestKit.Alight(12, Riders[1], Now.AddMinutes(-8), "S04"), TestKit.Alight(13, Riders[2], Now.AddMinutes(-8), "S04"));
        kit.Send("BUS0042", TestKit.Board(14, Riders[3], Now.AddMinutes(-5), "S04"), TestKit.Board(15, Riders[4], Now.AddMinutes(-5), "S04"));
        Assert.Equal(2, Aboard(kit));

        // A boarding late from the trip before the last trip_end, and that trip's own late trip_end, change nothing now.
        kit.Send("BUS0042", TestKit.Board(2, Riders[5], Now.AddMinutes(-70), "S01"));
        kit.Send("BUS0042", TripEnd(3, Now.AddMinutes(-65)));
        Assert.Equal(2, Aboard(kit));

        // A trip_end late in arriving but after the boardings it follows ends their trip.
        kit.Send("BUS0042", TripEnd(16, Now.AddMinutes(-1)));
        Assert.Equal(0, Aboard(kit));
    }

    [Fact]
    public void Taps_the_device_denied_or_the_rules_refused_and_repeated_batches_do_not_count()
    {
        using var kit = new PipelineKit(new FakeTimeProvider(Now));
        JsonObject denied = TestKit.Board(1, Riders[0], Now.AddMinutes(-3), "S01");
        denied["decision"] = "deny";
        denied["reason"] = "insufficient value";
        JsonObject offRoute = TestKit.Board(2, Riders[1], Now.AddMinutes(-3), "M01");
        Ack ack = kit.Send("BUS0042", denied, offRoute, TestKit.Board(3, Riders[2], Now.AddMinutes(-3), "S01"));
        Assert.Equal(ResultStatus.Rejected, ack.Results[1].Status);
        Assert.Equal(1, Aboard(kit));

        kit.Send("BUS0042", TestKit.Board(3, Riders[2], Now.AddMinutes(-3), "S01"));
        Assert.Equal(1, Aboard(kit));
    }

    [Fact]
    public void A_rider_aboard_longer_than_180_minutes_is_taken_to_have_left()
    {
        var time = new FakeTimeProvider(Now);
        using var kit = new PipelineKit(time);
        kit.Send("BUS0042", TestKit.Board(1, Riders[0], Now, "S01"));
        time.Advance(TimeSpan.FromMinutes(180));
        Assert.Equal(1, Aboard(kit));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, Aboard(kit));
    }

    [Fact]
    public void A_vehicle_that_never_ends_its_trip_keeps_no_more_than_its_last_180_minutes()
    {
        var time = new FakeTimeProvider(Now);
        using var kit = new PipelineKit(time);
        for (int minute = 0; minute < 300; minute++)
        {
            kit.Send("BUS0042", TestKit.Board((ulong)minute + 1, Riders[minute % Riders.Length], time.GetUtcNow(), "S01"));
            time.Advance(TimeSpan.FromMinutes(1));
        }

        // Kept: the newest minute and the 180 before it. Counted a minute after the last boarding: the last 180.
        VehicleTrip trip = kit.Pipeline.TripOf("V0042");
        Assert.Equal(181, trip.Minutes.Count);
        Assert.Equal(180, trip.AboardAt(time.GetUtcNow()));
    }

    [Fact]
    public void The_current_trip_is_kept_in_the_store_across_a_restart()
    {
        var time = new FakeTimeProvider(Now);
        string dir = TestKit.TempDir();
        using (var kit = new PipelineKit(time, dir))
        {
            kit.Send("BUS0042", TripEnd(1, Now.AddMinutes(-30)));
            kit.Send("BUS0042", [.. Riders.Take(3).Select((uid, i) => TestKit.Board((ulong)i + 2, uid, Now.AddMinutes(-10), "S01"))]);
        }

        using var restarted = new PipelineKit(time, dir);
        Assert.Equal(3, Aboard(restarted));
        Assert.Equal(Now.AddMinutes(-30), restarted.Pipeline.TripOf("V0042").Since);
        restarted.Send("BUS0042", TestKit.Board(1, Riders[4], Now.AddMinutes(-40), "S01"));
        Assert.Equal(3, Aboard(restarted));
    }

    [Theory]
    [InlineData(0, 80, OccupancyStatus.Empty)]
    [InlineData(1, 80, OccupancyStatus.ManySeatsAvailable)]
    [InlineData(19, 80, OccupancyStatus.ManySeatsAvailable)]
    [InlineData(20, 80, OccupancyStatus.FewSeatsAvailable)]
    [InlineData(31, 80, OccupancyStatus.FewSeatsAvailable)]
    [InlineData(32, 80, OccupancyStatus.StandingRoomOnly)]
    [InlineData(63, 80, OccupancyStatus.StandingRoomOnly)]
    [InlineData(64, 80, OccupancyStatus.CrushedStandingRoomOnly)]
    [InlineData(79, 80, OccupancyStatus.CrushedStandingRoomOnly)]
    [InlineData(80, 80, OccupancyStatus.Full)]
    [InlineData(95, 80, OccupancyStatus.Full)]
    public void The_occupancy_level_is_the_share_of_the_vehicles_capacity_aboard(int aboard, int capacity, OccupancyStatus expected) =>
        Assert.Equal(expected, OccupancyLevels.Of(aboard, capacity));
}
