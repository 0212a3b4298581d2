using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// Wallets: fares and points, re-rating from a day checkpoint, operators' value changes, debt.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task A_ride_takes_its_fare_from_the_wallet_and_earns_ride_points()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));

        Ack ack = kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 8, 20), "S05"));

        Assert.Equal(1000 - FareS01ToS05, ack.Results[1].Value);
        PersonState wallet = kit.Pipeline.WalletOf("P0001");
        Assert.Equal(1000 - FareS01ToS05, wallet.Value);
        Assert.Equal(FareS01ToS05 / 100, wallet.PointsBus);
        Assert.Equal(wallet.PointsBus, wallet.Points);
        Trip trip = Assert.Single(kit.Store.AllTrips("P0001"));
        Assert.Equal(("S01", "S05", TripClose.Alighted, FareS01ToS05), (trip.BoardStop, trip.AlightStop, trip.Close, trip.Charge));
        // What My Page lists: the opening balance, the fare and the ride points, adding up to the wallet.
        IReadOnlyList<WalletEntry> entries = kit.Store.EntriesOf("P0001");
        Assert.Equal(
            new[] { PostingKinds.Opening, PostingKinds.Fare, PostingKinds.RidePoints }.Order(StringComparer.Ordinal),
            entries.Select(e => e.Kind).Order(StringComparer.Ordinal));
        Assert.Equal(wallet.Value, entries.Sum(e => e.Value));
        Assert.Equal(wallet.Points, entries.Sum(e => e.Points));
    }

    [Fact]
    public async Task A_late_alight_of_an_earlier_day_re_rates_that_days_trip_from_its_checkpoint()
    {
        DateOnly? evaluatedFrom = null;
        WalletEvaluator spy = (registry, history, from, now) =>
        {
            evaluatedFrom = from?.Day;
            return WalletRules.EvaluateDays(registry, history, from, now);
        };
        PipelineKit kit = await OpenAsync(Nov(1, 7, 0), spy);
        // Enough value that no fare is paid with points: the wallet moves by the fares alone.
        CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(AdultCard))!;
        kit.Pipeline.ApplyValueChange(card, 2000, "R-0002", ValueChangeKind.TopUp);
        ulong seq = 0;
        for (int day = 1; day <= 4; day++)
        {
            kit.Time.SetUtcNow(Nov(day, 9, 0));
            kit.Send("BUS0042", TestKit.Board(++seq, AdultCard, Nov(day, 8, 0), "S01"), TestKit.Alight(++seq, AdultCard, Nov(day, 8, 20), "S05"));
        }

        // Day 2's evening ride reaches the ingest on day 5: its board first (closed at the highest fare, the alight
        // being unknown), then its alight at S03.
        kit.Time.SetUtcNow(Nov(5, 7, 0));
        kit.Send("BUS0042", TestKit.Board(++seq, AdultCard, Nov(2, 18, 0), "S01"));
        long beforeAlight = kit.Pipeline.WalletOf("P0001").Value;
        kit.Send("BUS0042", TestKit.Alight(++seq, AdultCard, Nov(2, 18, 20), "S03"));

        Assert.Equal(new DateOnly(2026, 11, 2), evaluatedFrom);
        PersonState wallet = kit.Pipeline.WalletOf("P0001");
        Assert.Equal(3000 - (4 * FareS01ToS05) - HighestFareFromS01, beforeAlight);
        Assert.Equal(beforeAlight + HighestFareFromS01 - FareS01ToS03, wallet.Value);
        Trip evening = Assert.Single(kit.Store.AllTrips("P0001"), t => t.BoardAt == Nov(2, 18, 0));
        Assert.Equal(("S03", TripClose.Alighted, FareS01ToS03), (evening.AlightStop, evening.Close, evening.Charge));
        Assert.Contains(kit.Store.EntriesOf("P0001"), e => e.Adjustment && e.Value == HighestFareFromS01 - FareS01ToS03);

        // The same taps in time order on another store give the same wallets.
        PipelineKit inOrder = await OpenAnotherAsync(Nov(1, 7, 0));
        inOrder.Pipeline.ApplyValueChange(card, 2000, "R-0002", ValueChangeKind.TopUp);
        inOrder.Time.SetUtcNow(Nov(5, 7, 0));
        inOrder.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(1, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(1, 8, 20), "S05"));
        inOrder.Send("BUS0042",
            TestKit.Board(3, AdultCard, Nov(2, 8, 0), "S01"), TestKit.Alight(4, AdultCard, Nov(2, 8, 20), "S05"),
            TestKit.Board(9, AdultCard, Nov(2, 18, 0), "S01"), TestKit.Alight(10, AdultCard, Nov(2, 18, 20), "S03"));
        inOrder.Send("BUS0042", TestKit.Board(5, AdultCard, Nov(3, 8, 0), "S01"), TestKit.Alight(6, AdultCard, Nov(3, 8, 20), "S05"));
        inOrder.Send("BUS0042", TestKit.Board(7, AdultCard, Nov(4, 8, 0), "S01"), TestKit.Alight(8, AdultCard, Nov(4, 8, 20), "S05"));
        Assert.Equal(inOrder.Wallets(), kit.Wallets());
    }

    [Fact]
    public async Task A_top_up_or_adjustment_sent_again_with_the_same_id_counts_once()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 10, 0));
        CardEntry card = TestKit.Registry.FindCard(TestKit.Tok(AdultCard))!;

        ChargeOutcome topUp = kit.Pipeline.ApplyValueChange(card, 2000, "R-0001", ValueChangeKind.TopUp);
        ChargeOutcome again = kit.Pipeline.ApplyValueChange(card, 2000, "R-0001", ValueChangeKind.TopUp);
        ChargeOutcome otherAmount = kit.Pipeline.ApplyValueChange(card, 3000, "R-0001", ValueChangeKind.TopUp);
        // An adjustment's request id is its own key, even when it reads like a receipt.
        ChargeOutcome refund = kit.Pipeline.ApplyValueChange(card, 150, "R-0001", ValueChangeKind.Adjustment, reason: "fare-error", note: "二重引き落とし");
        kit = Reopen(kit);
        ChargeOutcome afterRestart = kit.Pipeline.ApplyValueChange(card, 2000, "R-0001", ValueChangeKind.TopUp);

        Assert.Equal(new ChargeOutcome(ChargeStatus.Applied, 3000, 0), topUp);
        Assert.Equal(new ChargeOutcome(ChargeStatus.Duplicate, 3000, 0), again);
        Assert.Equal(ChargeStatus.Conflict, otherAmount.Status);
        Assert.Equal(new ChargeOutcome(ChargeStatus.Applied, 3150, 0), refund);
        Assert.Equal(new ChargeOutcome(ChargeStatus.Duplicate, 3150, 0), afterRestart);
        Assert.Equal(3150, kit.Pipeline.WalletOf("P0001").Value);
        IReadOnlyList<WalletEntry> entries = kit.Store.EntriesOf("P0001");
        Assert.Single(entries, e => e.Kind == PostingKinds.TopUp && e.Value == 2000);
        Assert.Single(entries, e => e.Kind == PostingKinds.OperatorAdjustment && e.Value == 150);
    }

    [Fact]
    public async Task A_person_past_the_debt_limit_is_listed_in_debt_and_denied_until_a_top_up_clears_it()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        string token = TestKit.Tok(NoAutoPayCard);

        // ¥0 to start with: one ride to the end of the line is ¥340 owed, a second one passes the ¥500 limit.
        kit.Send("BUS0042", TestKit.Board(1, NoAutoPayCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, NoAutoPayCard, Nov(30, 8, 40), "S07"));
        Assert.Empty(kit.Store.PersonsInDebt());
        kit.Send("BUS0042", TestKit.Board(3, NoAutoPayCard, Nov(30, 10, 0), "S01"), TestKit.Alight(4, NoAutoPayCard, Nov(30, 10, 40), "S07"));

        Assert.Equal(["P0005"], kit.Store.PersonsInDebt());
        Assert.Contains(token, kit.Pipeline.CurrentDenyList().Tokens);
        kit = Reopen(kit);
        Assert.Equal(["P0005"], kit.Store.PersonsInDebt());
        Assert.Contains(token, kit.Pipeline.CurrentDenyList().Tokens);

        kit.Pipeline.ApplyValueChange(TestKit.Registry.FindCard(token)!, 1000, "R-0005", ValueChangeKind.TopUp);

        Assert.Empty(kit.Store.PersonsInDebt());
        Assert.DoesNotContain(token, kit.Pipeline.CurrentDenyList().Tokens);
        Assert.Equal(1000 - (2 * HighestFareFromS01), kit.Pipeline.WalletOf("P0005").Value);
    }
}
