using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>docs/contract.md §3 bus: transfers, the daily cap, and the charge order adult → category → transfer → cap.</summary>
[Trait("Category", "Ingest")]
public class TransferAndCapTests
{
    private const string D = "2026-11-26 ";

    public static TheoryData<string, string, Action<Rider>, string, string> Transfers => new()
    {
        // name, pid, taps, charges, transfer flags (sample: R01 zonal, R02 flat 100, both transferDiscount 50)
        {
            "board 60 min after alighting on another route: 100 − 50", "P0001",
            r => { r.Ride("BUS0042", "R01", "S01", D + "08:00", "S02", D + "08:20"); r.Ride("BUS0043", "R02", "M01", D + "09:20", "M02", D + "09:30"); },
            "180,50", "False,True"
        },
        {
            "61 min after: no transfer", "P0001",
            r => { r.Ride("BUS0042", "R01", "S01", D + "08:00", "S02", D + "08:20"); r.Ride("BUS0043", "R02", "M01", D + "09:21", "M02", D + "09:30"); },
            "180,100", "False,False"
        },
        {
            "same route: no transfer", "P0001",
            r => { r.Ride("BUS0042", "R01", "S01", D + "08:00", "S02", D + "08:20"); r.Ride("BUS0043", "R01", "S02", D + "08:30", "S03", D + "08:40"); },
            "180,220", "False,False"
        },
        {
            "chains count: R01 → R02 → R01", "P0001",
            r =>
            {
                r.Ride("BUS0042", "R01", "S01", D + "08:00", "S02", D + "08:20");
                r.Ride("BUS0043", "R02", "M01", D + "08:30", "M02", D + "08:40");
                r.Ride("BUS0042", "R01", "S02", D + "09:00", "S03", D + "09:10");
            },
            "180,50,170", "False,True,True" // 220 − 50
        },
        {
            "a trip closed without an alight gives no transfer", "P0001",
            r =>
            {
                r.Ride("BUS0043", "R02", "M01", D + "08:00", "M02", D + "08:10");
                r.Board("BUS0042", D + "08:20", "R01", "S01"); // transfer, then no alight
                r.Ride("BUS0043", "R02", "M02", D + "08:40", "M03", D + "08:50"); // re-boarding closes it
            },
            "100,290,100", "False,True,False" // 340 − 50; then full 100
        },
        {
            "an unmatched alight is a real alight and gives a transfer", "P0001",
            r => { r.Alight("BUS0042", D + "08:00", "R01", "S01"); r.Ride("BUS0043", "R02", "M01", D + "08:30", "M02", D + "08:40"); },
            "340,50", "False,True"
        },
        {
            "child: half fare first, then the discount: 100 / 2 − 50 = 0", "P0002",
            r => { r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "08:20"); r.Ride("BUS0043", "R02", "M01", D + "08:30", "M02", D + "08:40"); },
            "150,0", "False,True"
        },
    };

    [Theory]
    [MemberData(nameof(Transfers))]
    public void Transfer(string name, string pid, Action<Rider> taps, string charges, string transfers)
    {
        var r = new Rider(Sample.Registry, pid);
        taps(r);

        WalletView w = r.Eval(D + "23:00");

        Assert.True(charges == string.Join(",", w.Trips.Select(t => t.Charge)), $"{name}: {string.Join(",", w.Trips.Select(t => t.Charge))}");
        Assert.Equal(transfers, string.Join(",", w.Trips.Select(t => t.Transfer)));
    }

    [Theory]
    // first route, second route, second charge: the discount is the boarding route's, never below zero
    [InlineData("F7", "Z9", 190)] // Z9 A→B 220 − Z9's 30
    [InlineData("Z9", "F7", 110)] // F7 230 − F7's 120
    [InlineData("Z9", "FREE", 0)] // flat 100 − 150 → 0, not −50
    public void Transfer_takes_the_boarding_routes_discount(string first, string second, long secondCharge)
    {
        RegistryBuilder b = RegistryBuilder.Small().Flat("FREE", 100, 150, "X", "Y").Person("Q1", "1970-01-01", openingValue: 1000);
        var r = new Rider(b.Build(), "Q1");
        (string From, string To) Stops(string route) => route == "Z9" ? ("A", "B") : ("X", "Y");
        r.Ride("BUS-A", first, Stops(first).From, D + "08:00", Stops(first).To, D + "08:10");
        r.Ride("BUS-B", second, Stops(second).From, D + "08:30", Stops(second).To, D + "08:40");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(secondCharge, w.Trips[1].Charge);
        Assert.True(w.Trips[1].Transfer);
    }

    public static TheoryData<string, string, Action<Rider>, string, string> Caps => new()
    {
        // name, pid, taps, charges, service days (sample caps: adult 700, child 350, disability 350)
        {
            "adult: 340 + 340 + 20 reaches 700, the fourth ride is free", "P0001",
            r =>
            {
                for (int h = 8; h < 12; h++)
                {
                    r.Ride("BUS0042", "R01", "S01", $"{D}{h:00}:00", "S07", $"{D}{h:00}:30");
                }
            },
            "340,340,20,0", "2026-11-26,2026-11-26,2026-11-26,2026-11-26"
        },
        {
            "the service day starts at 03:00 JST: 02:50 counts for the day before, 03:00 starts a new one", "P0001",
            r =>
            {
                r.Ride("BUS0042", "R01", "S01", D + "08:00", "S07", D + "08:30");
                r.Ride("BUS0042", "R01", "S01", D + "18:00", "S07", D + "18:30");
                r.Ride("BUS0042", "R01", "S01", "2026-11-27 02:00", "S07", "2026-11-27 02:50");
                r.Ride("BUS0042", "R01", "S01", "2026-11-27 03:00", "S07", "2026-11-27 03:30");
            },
            "340,340,20,340", "2026-11-26,2026-11-26,2026-11-26,2026-11-27"
        },
        {
            "child cap 350: 170 + 170 + 10", "P0002",
            r =>
            {
                for (int h = 8; h < 11; h++)
                {
                    r.Ride("BUS0042", "R01", "S01", $"{D}{h:00}:00", "S07", $"{D}{h:00}:30");
                }
            },
            "170,170,10", "2026-11-26,2026-11-26,2026-11-26"
        },
        {
            "order adult → category → transfer → cap: the transfer ride pays the 50 it owes only up to the cap", "P0001",
            r =>
            {
                r.Ride("BUS0042", "R01", "S01", D + "08:00", "S07", D + "08:30");
                r.Ride("BUS0042", "R01", "S01", D + "09:00", "S07", D + "09:30");
                r.Ride("BUS0043", "R02", "M01", D + "09:40", "M02", D + "09:50");
                r.Ride("BUS0042", "R01", "S01", D + "10:00", "S07", D + "10:30");
            },
            "340,340,20,0", "2026-11-26,2026-11-26,2026-11-26,2026-11-26"
        },
    };

    [Theory]
    [MemberData(nameof(Caps))]
    public void Daily_cap(string name, string pid, Action<Rider> taps, string charges, string days)
    {
        var r = new Rider(Sample.Registry, pid);
        taps(r);

        WalletView w = r.Eval("2026-11-28 12:00");

        Assert.True(charges == string.Join(",", w.Trips.Select(t => t.Charge)), $"{name}: {string.Join(",", w.Trips.Select(t => t.Charge))}");
        Assert.Equal(days, string.Join(",", w.Trips.Select(t => t.ServiceDay)));
    }

    [Fact]
    public void Without_a_cap_every_ride_is_paid()
    {
        CityRegistry reg = RegistryBuilder.Small().Tariff(adultCap: null).Person("Q1", "1970-01-01", openingValue: 2000).Build();
        var r = new Rider(reg, "Q1");
        for (int h = 8; h < 13; h++)
        {
            r.Ride("BUS-A", "Z9", "A", $"{D}{h:00}:00", "D", $"{D}{h:00}:30");
        }

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(5 * 360, w.Trips.Sum(t => t.Charge));
        Assert.Equal(2000 - 1800, w.Value);
    }
}

/// <summary>Each trip keeps the steps of its fare, so an operator and the passenger can follow how it was reached.</summary>
[Trait("Category", "Web")]
public class FareStepTests
{
    private const string D = "2026-11-26 ";

    [Fact]
    public void A_child_transfer_keeps_adult_fare_category_fare_and_the_discount_that_reached_its_charge()
    {
        var r = new Rider(Sample.Registry, "P0002");
        r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "08:20");
        r.Ride("BUS0043", "R02", "M01", D + "08:30", "M02", D + "08:40");

        Trip second = r.Eval(D + "23:00").Trips[1];

        Assert.Equal((100L, 50L, 50L, 0L, 0L), (second.AdultFare, second.CategoryFare, second.TransferDiscount, second.CapReduction, second.Charge));
        foreach (Trip t in r.Eval(D + "23:00").Trips)
        {
            Assert.Equal(t.Charge, t.CategoryFare - t.TransferDiscount - t.CapReduction);
        }
    }

    [Fact]
    public void A_capped_trip_keeps_what_the_cap_took()
    {
        var r = new Rider(Sample.Registry, "P0001");
        for (int h = 8; h < 11; h++)
        {
            r.Ride("BUS0042", "R01", "S01", $"{D}{h:00}:00", "S07", $"{D}{h:00}:30");
        }

        Trip third = r.Eval(D + "23:00").Trips[2];

        Assert.Equal((340L, 340L, 0L, 320L, 20L), (third.AdultFare, third.CategoryFare, third.TransferDiscount, third.CapReduction, third.Charge));
    }
}
