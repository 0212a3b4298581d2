using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>docs/contract.md §3: payment from value then points, debt and the deny list, ride points, opening balances, top-ups.</summary>
[Trait("Category", "Ingest")]
public class WalletTests
{
    private const string D = "2026-11-26 ";

    /// <summary>Small registry: ridePointsPer100 = 2, debtLimit = 300, adult cap 1000; Z9 A→C costs 360.</summary>
    private static Rider Person(long value, long points, bool autoPointPay = true, long debtLimit = 300, long ridePointsPer100 = 2)
    {
        CityRegistry reg = RegistryBuilder.Small()
            .Tariff(adultCap: 1000, debtLimit: debtLimit, ridePointsPer100: ridePointsPer100)
            .Flat("F99", 99, 0, "X", "Y")
            .Person("Q1", "1970-01-01", autoPointPay: autoPointPay, openingValue: value, openingPoints: points)
            .Build();
        return new Rider(reg, "Q1");
    }

    [Theory]
    // opening value, opening points, autoPointPay, value after, points after, points paid
    // (one Z9 A→C ride of 360; then floor(360 / 100) × 2 = 6 ride points)
    [InlineData(1000, 50, true, 640, 56, 0)] // value covers it: points untouched
    [InlineData(100, 150, true, -110, 6, 150)] // shortfall 260, points cover 150: value 100 − 360 + 150
    [InlineData(100, 400, true, 0, 146, 260)] // points cover the whole shortfall of 260: value 0
    [InlineData(-100, 500, true, -100, 146, 360)] // value already negative: the whole charge is short
    [InlineData(0, 200, false, -360, 206, 0)] // autoPointPay off: value goes negative, points kept
    [InlineData(360, 0, true, 0, 6, 0)] // exactly enough value
    public void Payment_from_value_then_points(long value, long points, bool autoPointPay, long valueAfter, long pointsAfter, long pointsPaid)
    {
        Rider r = Person(value, points, autoPointPay);
        r.Ride("BUS-A", "Z9", "A", D + "08:00", "C", D + "08:30");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(valueAfter, w.Value);
        Assert.Equal(pointsAfter, w.Points);
        Assert.Equal(6, w.PointsBus); // credited after the payment, never spent on it
        Posting? pay = w.Postings.SingleOrDefault(p => p.Kind == PostingKinds.PointPayment);
        Assert.Equal(pointsPaid, pay?.Value ?? 0);
        Assert.Equal(-pointsPaid, pay?.Points ?? 0);
        Assert.Equal(w.Value, w.Postings.Sum(p => p.Value));
        Assert.Equal(w.Points, w.Postings.Sum(p => p.Points));
    }

    [Theory]
    // route, from, to, ridePointsPer100, charge, ride points
    [InlineData("Z9", "A", "C", 2, 360, 6)] // floor(360 / 100) × 2
    [InlineData("Z9", "A", "C", 1, 360, 3)]
    [InlineData("F99", "X", "Y", 1, 99, 0)] // under 100: no points
    [InlineData("F7", "X", "Y", 3, 230, 6)] // floor(230 / 100) × 3
    [InlineData("Z9", "A", "C", 0, 360, 0)]
    public void Ride_points(string route, string from, string to, long per100, long charge, long points)
    {
        Rider r = Person(1000, 0, ridePointsPer100: per100);
        r.Ride("BUS-A", route, from, D + "08:00", to, D + "08:30");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(charge, Assert.Single(w.Trips).Charge);
        Assert.Equal(points, w.PointsBus);
        Assert.Equal(points, w.Points);
        Assert.Equal(points, w.Outcomes.Values.First(o => o.Fare is not null).Points);
    }

    [Fact]
    public void Negative_points_are_repaid_first_by_later_credits()
    {
        Rider r = Person(1000, -5); // a re-rating left the person 5 points short
        r.Ride("BUS-A", "Z9", "A", D + "08:00", "C", D + "08:30"); // +6

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(1, w.Points);
        Assert.Equal(6, w.PointsBus);
    }

    [Theory]
    // opening value, rides of 360, top-up after, debt limit, in debt
    [InlineData(0, 1, 0, 300, true)] // −360 < −300
    [InlineData(60, 1, 0, 300, false)] // −300 is not below −300
    [InlineData(0, 1, 200, 300, true)] // −160: still on the list until value is back at ≥ 0
    [InlineData(0, 1, 360, 300, false)] // back at 0: off
    [InlineData(0, 0, 0, 300, false)]
    [InlineData(300, 1, 0, 0, true)] // debt limit 0: −60 is already debt
    [InlineData(-400, 0, 0, 300, true)] // opening value already below the limit
    public void Debt_and_the_deny_list(long opening, int rides, long topUp, long debtLimit, bool inDebt)
    {
        Rider r = Person(opening, 0, autoPointPay: true, debtLimit: debtLimit, ridePointsPer100: 0);
        for (int i = 0; i < rides; i++)
        {
            r.Ride("BUS-A", "Z9", "A", $"{D}{8 + i:00}:00", "C", $"{D}{8 + i:00}:30");
        }

        if (topUp != 0)
        {
            r.TopUp("R-1", topUp, D + "20:00");
        }

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(opening - (rides * 360) + topUp, w.Value);
        Assert.Equal(inDebt, w.InDebt);
    }

    [Fact]
    public void Re_rating_that_lowers_a_fare_takes_the_person_off_the_deny_list()
    {
        Rider r = Person(0, 0, ridePointsPer100: 0);
        r.Board("BUS-A", D + "08:00", "Z9", "A");
        Assert.True(r.Eval(D + "23:00").InDebt); // missing tap-off: 360

        r.Alight("BUS-A", D + "08:10", "Z9", "A"); // the late alight makes it 150: value never fell below −300
        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(-150, w.Value);
        Assert.False(w.InDebt);
    }

    [Fact]
    public void Opening_value_and_points_start_the_wallet()
    {
        WalletView w = new Rider(Sample.Registry, "P0005").Eval(D + "23:00"); // opening 0 yen, 200 points

        Assert.Equal(0, w.Value);
        Assert.Equal(200, w.Points);
        Assert.Equal(0, w.PointsBus + w.PointsVolunteer + w.PointsHealth); // opening points are no source's credit
        Posting opening = Assert.Single(w.Postings);
        Assert.Equal(("opening", 0L, 200L), (opening.Key, opening.Value, opening.Points));
    }

    [Fact]
    public void Sample_person_without_auto_point_pay_goes_negative_with_points_kept()
    {
        var r = new Rider(Sample.Registry, "P0005");
        r.Ride("BUS0042", "R01", "S01", D + "08:00", "S07", D + "08:30");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(-340, w.Value);
        Assert.Equal(203, w.Points);
        Assert.False(w.InDebt); // −340 is not below −500
    }

    [Fact]
    public void Top_up_is_idempotent_by_receipt()
    {
        Rider r = Person(0, 0);
        r.TopUp("R-123", 1000, D + "07:00");
        r.TopUp("R-123", 1000, D + "07:00");
        r.TopUp("R-124", 500, D + "07:05");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(1500, w.Value);
        Assert.Equal(["topup:R-123", "topup:R-124"], w.Postings.Select(p => p.Key));
    }

    [Theory]
    // top-up time, value after, points after: a top-up before the fare spares the points
    [InlineData("07:00", 1000 - 360, 100 + 6)]
    [InlineData("09:00", 1000 - 260, 0 + 6)] // at the fare value was 0: 100 points paid, 260 owed, then +1000
    public void Top_up_takes_its_place_in_time_order(string topUpAt, long value, long points)
    {
        Rider r = Person(0, 100);
        r.Ride("BUS-A", "Z9", "A", D + "08:00", "C", D + "08:30");
        r.TopUp("R-1", 1000, D + topUpAt);

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(value, w.Value);
        Assert.Equal(points, w.Points);
    }

    [Fact]
    public void Points_by_source_count_credits_not_what_was_spent()
    {
        Rider r = Person(0, 300);
        r.Ride("BUS-A", "Z9", "A", D + "08:00", "C", D + "08:30"); // 360 paid with 300 points and 60 owed; +6

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(6, w.PointsBus);
        Assert.Equal(6, w.Points);
        Assert.Equal(-60, w.Value);
    }
}
