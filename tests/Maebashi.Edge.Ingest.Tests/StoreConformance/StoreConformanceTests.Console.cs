using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Web.Transport;

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
    [Trait("Category", "Web")]
    public async Task A_days_trips_as_the_transport_report_reads_them_are_the_trips_each_riders_wallet_shows()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        kit.Send("BUS0042",
            TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 8, 20), "S05"),
            TestKit.Board(3, ChildCard, Nov(30, 9, 0), "S02"), TestKit.Board(4, ChildCard, Nov(30, 9, 40), "S03"));
        // A transfer to another route and vehicle, and a trip still open.
        kit.Send("BUS0043", TestKit.Board(1, AdultCard, Nov(30, 8, 30), "M01", "R02", "V0043"), TestKit.Alight(2, AdultCard, Nov(30, 8, 45), "M03", "R02", "V0043"),
            TestKit.Board(3, AdultCard, Nov(30, 11, 0), "M02", "R02", "V0043"));

        List<(string Pid, Trip Trip)> day = [.. kit.Store.TripsOn("2026-11-30")];

        Assert.Contains(day, t => t.Trip.Transfer && t.Trip.TransferDiscount > 0);
        Assert.Contains(day, t => t.Trip.Close == TripClose.MissingTapOff);
        Assert.Contains(day, t => t.Trip.Close == TripClose.Open && t.Trip.AlightStop is null);
        foreach (string pid in new[] { "P0001", "P0002" })
        {
            Assert.Equal(
                kit.Store.TripsPage(pid, null, 100).Items.Where(t => t.ServiceDay == "2026-11-30").OrderBy(t => t.BoardAt),
                day.Where(t => t.Pid == pid).Select(t => t.Trip).OrderBy(t => t.BoardAt));
        }
    }

    [Fact]
    [Trait("Category", "Web")]
    public async Task A_days_transport_report_is_read_again_after_a_unit_changed_that_day_and_kept_while_none_did()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        kit.Send("BUS0042",
            TestKit.Board(1, AdultCard, Nov(29, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(29, 8, 20), "S05"),
            TestKit.Board(3, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(4, AdultCard, Nov(30, 8, 20), "S03"));
        var reports = new TransportReports(kit.Store);
        TransportReport sunday = reports.For("2026-11-29");
        TransportReport monday = reports.For("2026-11-30");
        long? mondayVersion = kit.Store.TripsVersion("2026-11-30");
        Assert.Equal((1, FareS01ToS05), (sunday.Trips, sunday.Revenue));

        // Sunday's taps of another bus arrive a day late: Sunday's report counts them, Monday's is untouched.
        kit.Send("BUS0043", TestKit.Board(1, ChildCard, Nov(29, 9, 0), "S01", "R01", "V0043"), TestKit.Alight(2, ChildCard, Nov(29, 9, 20), "S05", "R01", "V0043"));

        TransportReport lateSunday = reports.For("2026-11-29");
        Assert.Equal((2, FareS01ToS05 + (FareS01ToS05 / 2)), (lateSunday.Trips, lateSunday.Revenue));
        Assert.Equal(["R01"], lateSunday.Routes.Select(r => r.Route));
        Assert.Equal(2, lateSunday.Routes[0].Riders);
        Assert.Equal(mondayVersion, kit.Store.TripsVersion("2026-11-30"));
        if (mondayVersion is null)
        {
            // A store written by several workers cannot tell: the report is read again, the same.
            Assert.Equal((monday.Trips, monday.Revenue), (reports.For("2026-11-30").Trips, reports.For("2026-11-30").Revenue));
        }
        else
        {
            Assert.NotNull(kit.Store.TripsVersion("2026-11-29"));
            Assert.Same(monday, reports.For("2026-11-30"));
        }
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
