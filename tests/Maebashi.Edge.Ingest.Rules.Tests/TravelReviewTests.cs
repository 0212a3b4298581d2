namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>
/// A card used at two stops no one could travel between in the time between its taps is flagged for review (never
/// denied), by event order whatever the arrival order, and across a day's start when evaluated from its checkpoint.
/// The sample's stops: 前橋駅北口 (S01) and 群大病院 (S07) are 3.3 km apart.
/// </summary>
[Trait("Category", "CardAuth")]
public class TravelReviewTests
{
    [Fact]
    public void Two_stops_3_km_apart_a_minute_apart_are_flagged_and_twenty_minutes_apart_are_not()
    {
        var rider = new Rider(Sample.Registry, "P0001");
        StoredTapRef first = rider.Board("BUS0042", "2026-11-30 08:00", "R01", "S01");
        StoredTapRef second = rider.Board("BUS0043", "2026-11-30 08:01", "R01", "S07");
        rider.Board("BUS0042", "2026-11-30 09:00", "R01", "S01");
        rider.Alight("BUS0042", "2026-11-30 09:20", "R01", "S07");

        TravelReview review = Assert.Single(rider.Eval("2026-11-30 12:00").TravelReviews);
        Assert.Equal((first, second), (review.From, review.To));
        Assert.InRange(review.Kilometres, 3.2, 3.4);
        Assert.True(review.KilometresPerHour > TravelRules.MaxPlausibleKmPerHour);
    }

    [Fact]
    public void The_pair_is_the_same_whichever_tap_arrived_first()
    {
        var rider = new Rider(Sample.Registry, "P0001");
        rider.Board("BUS0043", "2026-11-30 08:01", "R01", "S07");
        rider.Board("BUS0042", "2026-11-30 08:00", "R01", "S01");
        TravelReview review = Assert.Single(rider.Eval("2026-11-30 12:00").TravelReviews);
        Assert.Equal("BUS0042", review.From.Device);
    }

    [Fact]
    public void A_pair_across_the_days_start_is_found_from_the_days_checkpoint()
    {
        var rider = new Rider(Sample.Registry, "P0001");
        rider.Board("BUS0042", "2026-11-30 02:59", "R01", "S01");
        DayEvaluation before = WalletRules.EvaluateDays(Sample.Registry, rider.History, null, Jst.At("2026-11-30 03:30"));
        rider.Board("BUS0043", "2026-11-30 03:00", "R01", "S07");

        DayCheckpoint from = WalletRules.EvaluateDays(Sample.Registry, rider.History, null, Jst.At("2026-11-30 03:30")).Checkpoints.Single(c => c.Day == new DateOnly(2026, 11, 30));
        var slice = new PersonHistory { Person = rider.Person, Taps = [.. rider.Taps.Where(t => t.Event.At >= WalletRules.DayStart(from.Day))], TripEnds = [], ValueChanges = [] };
        DayEvaluation resumed = WalletRules.EvaluateDays(Sample.Registry, slice, from, Jst.At("2026-11-30 03:30"));

        Assert.Empty(before.View.TravelReviews);
        Assert.Equal("BUS0043", Assert.Single(resumed.View.TravelReviews).To.Device);
    }
}
