using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>docs/contract.md §3 bus: flat and zonal adult fares, fare categories.</summary>
[Trait("Category", "Ingest")]
public class FareTests
{
    private const string Day = "2026-11-26";
    private const string Later = "2026-11-26 23:00";

    [Theory]
    [InlineData("R01", "S01", "S06", 300)] // zonal: 180 + 40 × |4 − 1| = 300
    [InlineData("R01", "S01", "S07", 340)] // 180 + 40 × 4 = 340 = maxFare
    [InlineData("R01", "S07", "S01", 340)] // direction does not matter: |1 − 5|
    [InlineData("R01", "S03", "S04", 180)] // same zone: baseFare
    [InlineData("R01", "S02", "S05", 260)] // 180 + 40 × 2
    [InlineData("R02", "M01", "M04", 100)] // flat: flatFare
    [InlineData("R02", "M03", "M03", 100)] // flat, same stop
    public void Sample_route_adult_fare(string route, string from, string to, long fare)
    {
        var p = new Rider(Sample.Registry, "P0001"); // adult, opening 1000
        p.Ride("BUS0042", route, from, Day + " 08:00", to, Day + " 08:30");

        WalletView w = p.Eval(Later);

        Trip trip = Assert.Single(w.Trips);
        Assert.Equal(TripClose.Alighted, trip.Close);
        Assert.Equal(FareCategories.Adult, trip.Category);
        Assert.Equal(fare, trip.AdultFare);
        Assert.Equal(fare, trip.Charge);
        Assert.Equal(1000 - fare, w.Value);
    }

    [Theory]
    [InlineData("A", "B", 220)] // 150 + 70 × 1
    [InlineData("A", "C", 360)] // 150 + 70 × 3 = 360 = maxFare
    [InlineData("A", "D", 360)] // 150 + 70 × 4 = 430, capped at maxFare 360
    [InlineData("C", "D", 220)] // 150 + 70 × 1
    [InlineData("B", "B", 150)] // baseFare
    public void Own_zonal_route_adult_fare(string from, string to, long fare)
    {
        CityRegistry reg = RegistryBuilder.Small().Person("Q1", "1970-01-01", openingValue: 2000).Build();
        var p = new Rider(reg, "Q1");
        p.Ride("BUS-A", "Z9", from, Day + " 08:00", to, Day + " 08:30");

        WalletView w = p.Eval(Later);

        Assert.Equal(fare, Assert.Single(w.Trips).Charge);
        Assert.Equal(2000 - fare, w.Value);
    }

    [Theory]
    // birth date, disability, board time (JST), route, from, to, category, adult fare, charge
    [InlineData("1980-05-14", false, "2026-11-26 08:00", "R01", "S01", "S06", "adult", 300, 300)]
    [InlineData("2017-06-01", false, "2026-11-26 08:00", "R01", "S01", "S06", "child", 300, 150)] // age 9: 300 / 2
    [InlineData("1975-09-30", true, "2026-11-26 08:00", "R01", "S01", "S07", "disability", 340, 170)] // half of 340
    [InlineData("2022-01-20", false, "2026-11-26 08:00", "R01", "S01", "S07", "infant", 340, 0)] // age 4 rides free
    [InlineData("2017-06-01", false, "2026-11-26 08:00", "F7", "X", "Y", "child", 230, 120)] // 115 rounded up to 120
    [InlineData("1975-09-30", true, "2026-11-26 08:00", "Z9", "A", "B", "disability", 220, 110)] // 110 exactly
    [InlineData("1975-09-30", true, "2026-11-26 08:00", "Z9", "A", "D", "disability", 360, 180)]
    [InlineData("2020-11-26", false, "2026-11-26 08:00", "F7", "X", "Y", "child", 230, 120)] // 6th birthday that day: child
    [InlineData("2020-11-27", false, "2026-11-26 08:00", "F7", "X", "Y", "infant", 230, 0)] // still 5
    [InlineData("2014-11-26", false, "2026-11-26 08:00", "F7", "X", "Y", "adult", 230, 230)] // 12th birthday: adult
    [InlineData("2014-11-27", false, "2026-11-27 02:30", "F7", "X", "Y", "child", 230, 120)] // 02:30 belongs to service day 11-26: still 11
    [InlineData("2014-11-27", false, "2026-11-27 03:00", "F7", "X", "Y", "adult", 230, 230)] // service day 11-27: 12
    [InlineData("2016-01-01", true, "2026-11-26 08:00", "F7", "X", "Y", "child", 230, 120)] // child and disability: equal caps → child
    public void Category_by_age_on_service_day_and_flag(string birth, bool disability, string boardAt, string route, string from, string to, string category, long adult, long charge)
    {
        RegistryBuilder b = RegistryBuilder.Small().Person("Q1", birth, disability: disability, openingValue: 1000);
        b.Doc.Routes!.AddRange(RegistryLoader.Load(SharedFixtures.RegistryPath).Document.Routes!);
        b.Doc.Tariff!.DailyCap = new DailyCaps { Adult = 1000, Child = 500, Disability = 500 };
        var p = new Rider(b.Build(), "Q1");
        DateTimeOffset at = Jst.At(boardAt);
        p.Ride("BUS-A", route, from, boardAt, to, at.AddMinutes(20).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));

        WalletView w = p.Eval("2026-11-28 12:00");

        Trip trip = Assert.Single(w.Trips);
        Assert.Equal(category, trip.Category);
        Assert.Equal(adult, trip.AdultFare);
        Assert.Equal(charge, trip.Charge);
        Assert.Equal(1000 - charge, w.Value);
    }

    [Theory]
    // child cap, disability cap → category chosen for a disabled child, and what five rides of F7 (120 each) cost
    [InlineData(500L, 300L, "disability", 300)] // lower cap wins: 120 + 120 + 60
    [InlineData(300L, 500L, "child", 300)]
    [InlineData(null, 250L, "disability", 250)] // no child cap counts as highest
    public void Disabled_child_gets_the_category_with_the_lower_cap(long? childCap, long? disabilityCap, string category, long dayTotal)
    {
        CityRegistry reg = RegistryBuilder.Small()
            .Tariff(adultCap: 1000, childCap: childCap, disabilityCap: disabilityCap)
            .Person("Q1", "2018-04-01", disability: true, openingValue: 1000).Build();
        var p = new Rider(reg, "Q1");
        for (int i = 0; i < 5; i++)
        {
            p.Ride("BUS-A", "F7", "X", $"{Day} {8 + i:00}:00", "Y", $"{Day} {8 + i:00}:30");
        }

        WalletView w = p.Eval(Later);

        Assert.All(w.Trips, t => Assert.Equal(category, t.Category));
        Assert.Equal(dayTotal, w.Trips.Sum(t => t.Charge));
        Assert.Equal(1000 - dayTotal, w.Value);
    }
}
