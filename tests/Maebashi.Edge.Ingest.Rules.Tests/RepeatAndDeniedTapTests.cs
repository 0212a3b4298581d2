using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>docs/contract.md §3: repeat taps within 10 s are one tap; only bus taps the device accepted have effects.</summary>
[Trait("Category", "Ingest")]
public class RepeatAndDeniedTapTests
{
    private const string D = "2026-11-26 ";

    [Theory]
    // second tap time, card of the second tap, device of the second tap, second is duplicate, trips, value (P0001 opening 1000)
    [InlineData("08:00:05", 0, "BUS0042", true, 1, 1000 - 180)]
    [InlineData("08:00:10", 0, "BUS0042", true, 1, 1000 - 180)] // exactly 10 s: still the same tap
    [InlineData("08:00:11", 0, "BUS0042", false, 2, 1000 - 340 - 180)] // a new board: the first trip closes with 340
    [InlineData("08:00:05", 1, "BUS0042", false, 2, 1000 - 340 - 180)] // the person's other card is another tap
    [InlineData("08:00:05", 0, "BUS0043", false, 2, 1000 - 340 - 180)] // another device is another tap
    public void Repeat_board_within_10_s_is_a_duplicate(string second, int card, string device, bool duplicate, int trips, long value)
    {
        var r = new Rider(Sample.Registry, "P0001");
        r.Board("BUS0042", D + "08:00:00", "R01", "S01");
        StoredTapRef again = r.Board(device, D + second, "R01", "S01", card: card, vehicle: "V0042");
        r.Alight("BUS0042", D + "08:20:00", "R01", "S02");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(duplicate ? ResultStatus.Duplicate : ResultStatus.Applied, w.Outcomes[again].Status);
        Assert.Equal(trips, w.Trips.Count);
        Assert.Equal(value, w.Value);
    }

    [Fact]
    public void Repeat_window_counts_from_the_first_tap_not_the_last()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef first = r.EventIn("EVT01", "2026-11-29 09:30:00", "E-CLEANUP-1129");
        StoredTapRef at8 = r.EventIn("EVT01", "2026-11-29 09:30:08", "E-CLEANUP-1129");
        StoredTapRef at16 = r.EventIn("EVT01", "2026-11-29 09:30:16", "E-CLEANUP-1129");

        WalletView w = r.Eval("2026-11-29 23:00");

        Assert.Equal(ResultStatus.Applied, w.Outcomes[first].Status);
        Assert.Equal(ResultStatus.Duplicate, w.Outcomes[at8].Status);
        Assert.Equal(ResultStatus.Applied, w.Outcomes[at16].Status); // 16 s after the first: a tap of its own (credits 0)
        Assert.Equal(0, w.Outcomes[at16].Points);
        Assert.Equal(50, w.PointsVolunteer);
    }

    [Theory]
    // which taps the device denied → trips, value
    [InlineData(false, false, 1, 1000 - 300)]
    [InlineData(true, false, 1, 1000 - 300)] // denied board: the alight is an unmatched alight, highest fare to S06 (300)
    [InlineData(false, true, 1, 1000 - 340)] // denied alight: the trip closes without alight (clock past 180 min): 340
    [InlineData(true, true, 0, 1000)] // nothing happened
    public void Denied_bus_taps_have_no_effect_but_are_kept(bool boardDenied, bool alightDenied, int trips, long value)
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef board = r.Board("BUS0042", D + "08:00", "R01", "S01", decision: boardDenied ? Decisions.Deny : Decisions.Accept);
        StoredTapRef alight = r.Alight("BUS0042", D + "08:30", "R01", "S06", decision: alightDenied ? Decisions.Deny : Decisions.Accept);

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(trips, w.Trips.Count);
        Assert.Equal(value, w.Value);
        foreach ((StoredTapRef tap, bool denied) in new[] { (board, boardDenied), (alight, alightDenied) })
        {
            TapOutcome o = w.Outcomes[tap];
            Assert.Equal(ResultStatus.Applied, o.Status); // kept for audit
            if (denied)
            {
                Assert.Null(o.Fare);
                Assert.Contains("denied", o.Reason, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Tap_a_validator_accepted_offline_is_a_ride_even_for_a_debtor()
    {
        // P0005 pays no points automatically: two rides of 340 put value at −680, below −500 (on the deny list).
        var r = new Rider(Sample.Registry, "P0005");
        r.Ride("BUS0042", "R01", "S01", D + "08:00", "S07", D + "08:30");
        r.Ride("BUS0042", "R01", "S07", D + "09:00", "S01", D + "09:30");
        // The validator got no verdict in 100 ms and accepted on its own (first-ride risk): the ride happened.
        StoredTapRef offline = r.Board("BUS0043", D + "10:00", "R02", "M01");
        r.Taps[^1].Event.Ctx.Offline = true;
        r.Alight("BUS0043", D + "10:10", "R02", "M02");

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(20, w.Outcomes[offline].Fare); // 100, capped: 340 + 340 + 20 = 700
        Assert.Equal(-700, w.Value);
        Assert.True(w.InDebt);
    }

    [Fact]
    public void Fact_stored_without_its_context_is_rejected_and_the_rest_applies()
    {
        var r = new Rider(Sample.Registry, "P0001");
        r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "08:30");
        StoredTapRef broken = r.Board("BUS0043", D + "09:00", "R02", "M01");
        r.Taps[^1].Event.Ctx = null!;

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(ResultStatus.Rejected, w.Outcomes[broken].Status);
        Assert.Equal(700, w.Value);
        Assert.Single(w.Trips);
    }

    [Fact]
    public void Same_fact_listed_twice_counts_once()
    {
        var r = new Rider(Sample.Registry, "P0001");
        r.Ride("BUS0042", "R01", "S01", D + "08:00", "S06", D + "08:30");
        r.Taps.AddRange(r.Taps.ToList());
        r.TripEnd("BUS0042", D + "09:00");
        r.TripEnds.Add(r.TripEnds[0]);

        WalletView w = r.Eval(D + "23:00");

        Assert.Equal(700, w.Value);
        Assert.Single(w.Trips);
        Assert.Equal(2, w.Outcomes.Count);
    }
}
