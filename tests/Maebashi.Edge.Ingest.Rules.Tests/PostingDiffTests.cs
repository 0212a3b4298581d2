namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>
/// The wallet diff the ingest writes after every evaluation (one implementation, in Rules): what it makes of
/// the cases the order-independence property does not reach — postings listed twice and amounts of zero.
/// </summary>
[Trait("Category", "Architecture")]
public class PostingDiffTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 8, 0, 0, TimeSpan.FromHours(9));

    private static Posting P(string key, long value, long points = 0) => new(key, PostingKinds.Fare, value, points, "bus", At, "fare " + key);

    [Fact]
    public void New_postings_are_written_as_they_are_changed_ones_as_adjustments_of_the_difference_vanished_ones_as_their_negation()
    {
        IReadOnlyList<PostingChange> changes = PostingDiff.Changes(
            [P("fare:a", -180), P("fare:b", -340, 3)],
            [P("fare:b", -220, 2), P("fare:c", -100)]);

        Assert.Equal(
            [
                (PostingChangeKind.Rerated, "fare:b", PostingKinds.Adjustment, 120L, -1L, "re-rated: fare fare:b"),
                (PostingChangeKind.Posted, "fare:c", PostingKinds.Fare, -100L, 0L, "fare fare:c"),
                (PostingChangeKind.Withdrawn, "fare:a", PostingKinds.Adjustment, 180L, 0L, "withdrawn: fare fare:a"),
            ],
            changes.Select(c => (c.Change, c.Key, c.Kind, c.Value, c.Points, c.Description)));
        Assert.Equal([true, false, true], changes.Select(c => c.IsAdjustment));
    }

    [Fact]
    public void Postings_listed_twice_under_one_key_count_as_their_sum_on_both_sides()
    {
        IReadOnlyList<PostingChange> changes = PostingDiff.Changes(
            [P("fare:a", -100), P("fare:a", -80)],
            [P("fare:a", -90), P("fare:a", -90), P("fare:b", -50), P("fare:b", -50)]);

        Assert.Equal([("fare:b", -100L)], changes.Select(c => (c.Key, c.Value)));
    }

    [Fact]
    public void Nothing_is_written_for_an_amount_of_zero_or_an_unchanged_posting()
    {
        IReadOnlyList<PostingChange> changes = PostingDiff.Changes(
            [P("fare:gone", 0), P("fare:same", -180, 1)],
            [P("fare:new", 0), P("fare:same", -180, 1)]);

        Assert.Empty(changes);
    }
}
