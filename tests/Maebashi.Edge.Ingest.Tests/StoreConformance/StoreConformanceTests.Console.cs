using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// The console's queries: a day's trips for the transport report, a rider by sector ID, trips due for closing.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task The_transport_report_of_a_day_reads_every_persons_trips_of_that_day_only()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        kit.Send("BUS0042",
            TestKit.Board(1, AdultCard, Nov(29, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(29, 8, 20), "S05"),
            TestKit.Board(3, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(4, AdultCard, Nov(30, 8, 20), "S03"),
            TestKit.Board(5, ChildCard, Nov(30, 9, 0), "S01"), TestKit.Alight(6, ChildCard, Nov(30, 9, 20), "S05"));

        List<(string Pid, Trip Trip)> sunday = [.. kit.Store.TripsOn("2026-11-29")];
        List<(string Pid, Trip Trip)> monday = [.. kit.Store.TripsOn("2026-11-30").OrderBy(t => t.Trip.BoardAt)];

        Assert.Equal([("P0001", "S05")], sunday.Select(t => (t.Pid, t.Trip.AlightStop)));
        Assert.Equal([("P0001", "S03", FareS01ToS03), ("P0002", "S05", FareS01ToS05 / 2)], monday.Select(t => (t.Pid, t.Trip.AlightStop, t.Trip.Charge)));
        Assert.Empty(kit.Store.TripsOn("2026-12-01"));
    }

    [Fact]
    public async Task An_operator_finds_a_rider_by_transport_sector_id_once_their_first_tap_is_in()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        string rider = TestKit.Registry.SectorIdFor("P0001", SectorId.Transport);
        Assert.Null(kit.Store.PidOfSector(rider));

        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"));

        Assert.Equal("P0001", kit.Store.PidOfSector(rider));
        Assert.Null(kit.Store.PidOfSector(TestKit.Registry.SectorIdFor("P0002", SectorId.Transport)));
        Assert.Null(kit.Store.PidOfSector(TestKit.Registry.SectorIdFor("P0001", SectorId.Welfare)));
        Assert.Equal("P0001", Reopen(kit).Store.PidOfSector(rider));
    }

    [Fact]
    public async Task A_trip_left_open_is_due_for_closing_180_minutes_after_its_board_and_then_charged_the_highest_fare()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 10, 30));
        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"));
        kit.Send("BUS0043", TestKit.Board(1, ChildCard, Nov(30, 10, 0), "S01", "R01", "V0043"));

        Assert.Empty(kit.Store.PersonsDueForClose(Nov(30, 10, 59)));
        Assert.Equal(["P0001"], kit.Store.PersonsDueForClose(Nov(30, 11, 0)));
        kit.Time.SetUtcNow(Nov(30, 11, 1));
        Assert.Equal(1, kit.Pipeline.CloseDueTrips());

        Assert.Empty(kit.Store.PersonsDueForClose(Nov(30, 11, 1)));
        Trip closed = Assert.Single(kit.Store.AllTrips("P0001"));
        Assert.Equal((TripClose.MissingTapOff, HighestFareFromS01), (closed.Close, closed.Charge));
        Assert.Equal(["P0002"], Reopen(kit).Store.PersonsDueForClose(Nov(30, 13, 0)));
    }
}
