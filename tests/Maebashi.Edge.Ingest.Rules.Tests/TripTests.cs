using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>docs/contract.md §3 bus: how trips open and close, missing and unmatched tap-offs, late taps re-rating.</summary>
[Trait("Category", "Ingest")]
public class TripTests
{
    private const string D = "2026-11-26 ";

    public static TheoryData<string, Action<Rider>, string, string, string, long> Closings => new()
    {
        // name, taps, now, closes, charges, value (P0001: adult, opening 1000; R01 zonal 180 + 40/zone, max 340)
        { "alight on the same vehicle 179 min after", r => r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "10:59"), D + "23:00", "Alighted", "300", 700 },
        { "alight exactly 180 min after still matches", r => r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "11:00"), D + "23:00", "Alighted", "300", 700 },
        {
            "alight 181 min after: board closes at 340 (highest from S01), alight is its own trip at 300 (highest to zone 4)",
            r => r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "11:01"), D + "23:00", "MissingTapOff,UnmatchedAlight", "340,300", 360
        },
        {
            "re-boarding closes the open trip with the highest fare from S03 (zone 2 → zone 5: 180 + 120)",
            r => { r.Board("BUS0042", D + "08:00", "R01", "S03"); r.Ride("BUS0043", "R02", "M01", D + "09:00", "M02", D + "09:10"); },
            D + "23:00", "MissingTapOff,Alighted", "300,100", 600
        },
        {
            "trip_end of the vehicle closes the trip at 340",
            r => { r.Board("BUS0042", D + "08:00", "R01", "S01"); r.TripEnd("BUS0042", D + "08:40"); }, D + "08:50", "MissingTapOff", "340", 660
        },
        {
            "trip_end of another vehicle does not close it; open trips are not charged yet",
            r => { r.Board("BUS0042", D + "08:00", "R01", "S01"); r.TripEnd("BUS0043", D + "08:40"); }, D + "08:50", "Open", "0", 1000
        },
        {
            "an alight after the trip_end no longer matches",
            r => { r.Board("BUS0042", D + "08:00", "R01", "S01"); r.TripEnd("BUS0042", D + "08:40"); r.Alight("BUS0042", D + "08:45", "R01", "S02"); },
            D + "23:00", "MissingTapOff,UnmatchedAlight", "340,340", 320
        },
        {
            "alight at the very instant of the trip_end still matches",
            r => { r.Board("BUS0042", D + "08:00", "R01", "S01"); r.TripEnd("BUS0042", D + "08:40"); r.Alight("BUS0042", D + "08:40", "R01", "S02"); },
            D + "23:00", "Alighted", "180", 820
        },
        { "ingest clock past board + 180 min closes it", r => r.Board("BUS0042", D + "08:00", "R01", "S01"), D + "11:01", "MissingTapOff", "340", 660 },
        { "ingest clock not yet past board + 180 min: still open", r => r.Board("BUS0042", D + "08:00", "R01", "S01"), D + "11:00", "Open", "0", 1000 },
        { "unmatched alight at S03 (zone 2): highest fare to it is from zone 5, 300", r => r.Alight("BUS0042", D + "08:00", "R01", "S03"), D + "23:00", "UnmatchedAlight", "300", 700 },
        { "unmatched alight on a flat route: flatFare", r => r.Alight("BUS0043", D + "08:00", "R02", "M02"), D + "23:00", "UnmatchedAlight", "100", 900 },
        {
            "alight on another vehicle: the open trip closes without alight, the alight is unmatched",
            r => { r.Board("BUS0042", D + "08:00", "R01", "S05"); r.Alight("BUS0043", D + "08:30", "R02", "M01"); },
            D + "23:00", "MissingTapOff,UnmatchedAlight", "260,100", 640 // S05 is zone 3: at most 2 zones away, 180 + 80
        },
    };

    [Theory]
    [MemberData(nameof(Closings))]
    public void Trip_closing(string name, Action<Rider> taps, string now, string closes, string charges, long value)
    {
        var r = new Rider(Sample.Registry, "P0001");
        taps(r);

        WalletView w = r.Eval(now);

        Assert.True(string.Join(",", w.Trips.Select(t => t.Close)) == closes, name);
        Assert.Equal(charges, string.Join(",", w.Trips.Select(t => t.Charge)));
        Assert.Equal(value, w.Value);
    }

    [Fact]
    public void Open_trip_tells_the_service_when_the_clock_will_close_it()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef board = r.Board("BUS0042", D + "08:00", "R01", "S01");

        WalletView open = r.Eval(D + "09:00");
        WalletView closed = r.Eval(D + "11:01");

        Assert.Equal(Jst.At(D + "11:00"), open.ReviewAt);
        Assert.Null(open.Outcomes[board].Fare);
        Assert.Null(closed.ReviewAt);
        Assert.Equal(340, closed.Outcomes[board].Fare);
    }

    [Fact]
    public void Late_alight_re_rates_the_trip_under_the_same_posting_key()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef board = r.Board("BUS0042", D + "08:00", "R01", "S01");
        WalletView before = r.Eval(D + "23:00");
        r.Alight("BUS0042", D + "08:20", "R01", "S03"); // arrives hours later, from an offline bus

        WalletView after = r.Eval(D + "23:00");

        string key = $"fare:{board.Device}:{board.Seq}";
        Assert.Equal(-340, before.Postings.Single(p => p.Key == key).Value);
        Assert.Equal(-220, after.Postings.Single(p => p.Key == key).Value); // 180 + 40 × 1
        Assert.Equal(660, before.Value);
        Assert.Equal(780, after.Value);
        Assert.Equal(3, before.PointsBus);
        Assert.Equal(2, after.PointsBus);

        // The wallet records the difference as adjustment entries: +120 yen on the fare, −1 ride point.
        IReadOnlyList<PostingChange> adjustments = PostingDiff.Changes(before.Postings, after.Postings);
        Assert.Equal([(key, 120L, 0L), ($"ridepoints:{board.Device}:{board.Seq}", 0L, -1L)], adjustments.Select(a => (a.Key, a.Value, a.Points)));
        Assert.All(adjustments, a => Assert.Equal(PostingChangeKind.Rerated, a.Change));
    }

    [Fact]
    public void Trips_are_ordered_by_board_time_whatever_the_list_order()
    {
        var r = new Rider(Sample.Registry, "P0001");
        r.Ride("BUS0043", "R02", "M01", D + "12:00", "M02", D + "12:10");
        r.Ride("BUS0042", "R01", "S01", D + "08:00", "S02", D + "08:10");
        r.Alight("BUS0042", D + "10:00", "R01", "S07");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(["R01", "R01", "R02"], w.Trips.Select(t => t.Route));
        Assert.Equal([TripClose.Alighted, TripClose.UnmatchedAlight, TripClose.Alighted], w.Trips.Select(t => t.Close));
        Assert.Equal([180L, 340L, 100L], w.Trips.Select(t => t.Charge));
        Assert.Equal("2026-11-26", w.Trips[0].ServiceDay);
    }

    [Fact]
    public void Bus_tap_on_unknown_route_or_stop_is_rejected_with_the_reason()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef route = r.Board("BUS0042", D + "08:00", "R99", "S01");
        StoredTapRef stop = r.Board("BUS0043", D + "09:00", "R02", "S01");

        WalletView w = r.Eval(D + "23:00");

        Assert.Empty(w.Trips);
        Assert.Equal(ResultStatus.Rejected, w.Outcomes[route].Status);
        Assert.Contains("R99", w.Outcomes[route].Reason, StringComparison.Ordinal);
        Assert.Equal(ResultStatus.Rejected, w.Outcomes[stop].Status);
        Assert.Contains("not on route R02", w.Outcomes[stop].Reason, StringComparison.Ordinal);
        Assert.Equal(1000, w.Value);
    }
}
