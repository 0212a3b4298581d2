using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>
/// docs/contract.md §3.1 kind <c>table</c>: origin–destination fares per agency (GTFS-JP fare_rules), looked up by
/// the stops' fare zones in either direction; the highest fare from or to a stop for a ride with one tap missing.
/// </summary>
[Trait("Category", "Gtfs")]
public class TableFareTests
{
    private const string Day = "2026-11-26";
    private const string Later = "2026-11-26 23:00";

    // Zones listed one way only, as GTFS-JP feeds often do; the fares are not a function of distance.
    private static readonly (string, string, long)[] KanFares =
    [
        ("Z1", "Z1", 170), ("Z1", "Z2", 210), ("Z1", "Z3", 330), ("Z1", "Z4", 290),
        ("Z2", "Z2", 170), ("Z2", "Z3", 250), ("Z2", "Z4", 260),
        ("Z3", "Z3", 170), ("Z3", "Z4", 200),
        ("Z4", "Z4", 170),
    ];

    private static RegistryBuilder World() => RegistryBuilder.Small()
        .Person("Q1", "1970-01-01", openingValue: 2000)
        .Person("K1", "2017-06-01", openingValue: 2000)
        .Table("T1", "kanetsu", "kanetsu-od", KanFares, ("K01", "Z1"), ("K02", "Z1"), ("K03", "Z2"), ("K04", "Z3"), ("K05", "Z4"))
        // A second agency's table whose zones share names with the first: each route reads only its own table.
        .Table("N1", "nippon", "nippon-od", [("Z1", "Z1", 100), ("Z1", "Z2", 500), ("Z2", "Z2", 100)], ("N01", "Z1"), ("N02", "Z2"));

    [Theory]
    [InlineData("T1", "K01", "K03", 210)] // Z1 → Z2 as listed
    [InlineData("T1", "K03", "K01", 210)] // Z2 → Z1: the reverse entry
    [InlineData("T1", "K01", "K02", 170)] // same zone
    [InlineData("T1", "K01", "K04", 330)] // Z1 → Z3
    [InlineData("T1", "K01", "K05", 290)] // farther, yet cheaper than Z3: the table, not a formula
    [InlineData("T1", "K05", "K04", 200)]
    [InlineData("N1", "N01", "N02", 500)] // the other agency's table for the same zone names
    public void A_table_route_charges_the_fare_between_the_stops_zones(string route, string from, string to, long fare)
    {
        var p = new Rider(World().Build(), "Q1");
        p.Ride("BUS-A", route, from, Day + " 08:00", to, Day + " 08:30");

        WalletView w = p.Eval(Later);

        Trip trip = Assert.Single(w.Trips);
        Assert.Equal(TripClose.Alighted, trip.Close);
        Assert.Equal(fare, trip.AdultFare);
        Assert.Equal(fare, trip.Charge);
        Assert.Equal(2000 - fare, w.Value);
    }

    [Fact]
    public void A_child_pays_half_of_the_table_fare_rounded_up_to_10_yen()
    {
        var p = new Rider(World().Build(), "K1");
        p.Ride("BUS-A", "T1", "K01", Day + " 08:00", "K03", Day + " 08:30"); // 210 → 105 → 110

        Trip trip = Assert.Single(p.Eval(Later).Trips);

        Assert.Equal(FareCategories.Child, trip.Category);
        Assert.Equal(110, trip.Charge);
    }

    [Theory]
    [InlineData("K01", 330)] // from Z1 the dearest is Z3, not the last stop
    [InlineData("K05", 290)] // from Z4: Z1 by the reverse entry
    [InlineData("K03", 260)]
    public void A_missing_tap_off_charges_the_highest_table_fare_from_the_boarding_stop(string from, long fare)
    {
        var p = new Rider(World().Build(), "Q1");
        p.Board("BUS-A", Day + " 08:00", "T1", from);

        Trip trip = Assert.Single(p.Eval(Later).Trips);

        Assert.Equal(TripClose.MissingTapOff, trip.Close);
        Assert.Equal(fare, trip.Charge);
    }

    [Fact]
    public void An_alight_without_a_boarding_charges_the_highest_table_fare_to_that_stop()
    {
        var p = new Rider(World().Build(), "Q1");
        p.Alight("BUS-A", Day + " 08:30", "T1", "K04");

        Trip trip = Assert.Single(p.Eval(Later).Trips);

        Assert.Equal(TripClose.UnmatchedAlight, trip.Close);
        Assert.Equal(330, trip.Charge); // Z1 → Z3
    }

    [Fact]
    public void A_ride_between_branches_the_table_does_not_price_is_charged_as_a_missing_tap_off_from_the_boarding_stop()
    {
        // Two branches from the station: P → Q and P → R, each way; nobody rides Q → R, so the table has no Z2–Z3 fare.
        RegistryBuilder b = RegistryBuilder.Small()
            .Person("Q1", "1970-01-01", openingValue: 2000)
            .Table("B1", "kanetsu", "branches", [("Z1", "Z2", 200), ("Z1", "Z3", 300)], ("P", "Z1"), ("Q", "Z2"), ("R", "Z3"));
        b.Doc.Routes![^1].Patterns =
        [
            new RoutePatternDef { Id = "B1-0-1", Direction = 0, Stops = ["P", "Q"] },
            new RoutePatternDef { Id = "B1-0-2", Direction = 0, Stops = ["P", "R"] },
            new RoutePatternDef { Id = "B1-1-1", Direction = 1, Stops = ["Q", "P"] },
            new RoutePatternDef { Id = "B1-1-2", Direction = 1, Stops = ["R", "P"] },
        ];
        var p = new Rider(b.Build(), "Q1");
        p.Ride("BUS-A", "B1", "Q", Day + " 08:00", "R", Day + " 08:30");

        Trip trip = Assert.Single(p.Eval(Later).Trips);

        Assert.Equal(200, trip.Charge); // the highest fare from Q: Z2 → Z1 by the Z1 → Z2 entry
    }

    [Fact]
    public void The_registry_refuses_a_table_route_whose_pattern_rides_a_pair_the_table_lacks()
    {
        RegistryBuilder b = World();
        b.Doc.FareTables![0].Fares.RemoveAll(f => f is { From: "Z2", To: "Z3" });

        RegistryException e = Assert.Throws<RegistryException>(() => b.Build());

        RegistryProblem p = Assert.Single(e.Problems);
        Assert.Equal("routes[2] (id T1)", p.Entry);
        Assert.Equal("patterns[0]", p.Field);
        Assert.Contains("no fare between zones 'Z2' and 'Z3'", p.Message, StringComparison.Ordinal);
    }
}
