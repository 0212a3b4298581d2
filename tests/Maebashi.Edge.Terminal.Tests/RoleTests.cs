using System.Device.Gpio;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Terminal.Taps;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>What a passenger, a volunteer and a patient see at the terminal, and what it records.</summary>
[Trait("Category", "Terminal")]
public class RoleTests
{
    private const string Card = "04A1B2C3D4E5F6";

    [Fact]
    public void Bus_boarding_then_alighting_shows_the_provisional_fare_of_the_zones_ridden()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        Assert.Null(rig.Cloud.ApplyConfig(SampleConfig.BusBytes()));
        rig.Vehicle.Set("R01", "S01");

        TapOutcome board = rig.Tap(Card, "rear");
        Assert.Equal(Verdict.Accept, board.Verdict);
        Assert.Equal("乗車 / Boarded", rig.Display.Line);
        Assert.Equal(EventTypes.Board, board.Event!.Type);
        Assert.Equal(new[] { "R01", "V0042", "S01", "rear" }, new[] { board.Event.Ctx.Route, board.Event.Ctx.Vehicle, board.Event.Ctx.Stop, board.Event.Ctx.Door });
        Assert.Equal(SampleConfig.Bus().Routes![0].Id, board.Event.Ctx.Route);

        rig.Time.Advance(TimeSpan.FromMinutes(12));
        rig.Vehicle.Set(null, "S03");
        TapOutcome alight = rig.Tap(Card, "front");
        // Zone 1 → zone 2: 180 + 40 × 1.
        Assert.Equal("運賃 220円 / Fare ¥220", alight.Display);
        Assert.Equal("運賃 220円 / Fare ¥220", rig.Display.Line);
        Assert.Equal(EventTypes.Alight, alight.Event!.Type);
        Assert.True(alight.Seq > board.Seq);
        Assert.Equal(PinValue.High, rig.Driver.ValueOf(17));
        Assert.Equal(PinValue.Low, rig.Driver.ValueOf(27));
    }

    [Fact]
    public void An_alight_without_a_boarding_shows_the_highest_fare_to_that_stop_and_flat_routes_their_fare()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Cloud.ApplyConfig(SampleConfig.BusBytes());
        rig.Vehicle.Set("R01", "S01");
        Assert.Equal("運賃 340円 / Fare ¥340", rig.Tap(Card, "front").Display); // from S07 (zone 5): min(340, 180+160)
        rig.Vehicle.Set("R02", "M02");
        Assert.Equal("運賃 100円 / Fare ¥100", rig.Tap("DEADBEEF", "front").Display);
    }

    [Fact]
    public void A_repeat_tap_within_ten_seconds_is_the_same_tap_and_later_it_is_a_new_one()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Vehicle.Set("R01", "S01");
        TapOutcome first = rig.Tap(Card, "rear");
        rig.Time.Advance(TimeSpan.FromSeconds(9.9));
        TapOutcome again = rig.Tap(Card, "rear");
        Assert.Equal(Verdict.Repeat, again.Verdict);
        Assert.Equal(first.Seq, again.Seq);
        Assert.Equal(first.Display, rig.Display.Line);
        Assert.Equal(1, rig.Ledger.Backlog);

        rig.Time.Advance(TimeSpan.FromSeconds(0.2));
        TapOutcome later = rig.Tap(Card, "rear");
        Assert.Equal(Verdict.Accept, later.Verdict);
        Assert.Equal(2, rig.Ledger.Backlog);

        // Another card is never held up by the first one's window.
        Assert.Equal(Verdict.Accept, rig.Tap("DEADBEEF", "rear").Verdict);
    }

    [Fact]
    public void A_card_on_the_deny_list_is_denied_in_red_and_recorded_for_audit()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Cloud.ApplyDeny(SampleConfig.Deny(3, TestSite.Token(CardTech.Iso14443A, Card)));
        rig.Vehicle.Set("R01", "S01");
        TapOutcome o = rig.Tap(Card, "rear");
        Assert.Equal(Verdict.Deny, o.Verdict);
        Assert.False(o.Green);
        Assert.Equal(Decisions.Deny, o.Event!.Decision);
        Assert.Equal("deny_list", o.Event.Reason);
        Assert.Equal(PinValue.High, rig.Driver.ValueOf(27));
        Assert.Equal(PinValue.Low, rig.Driver.ValueOf(17));
        Assert.Contains("Card not accepted", rig.Display.Line);
        Assert.Equal(1, rig.Ledger.Backlog);
    }

    [Fact]
    public void Lights_and_buzzer_go_off_after_their_time_and_the_idle_line_returns()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Vehicle.Set("R01", "S01");
        rig.Tap(Card, "rear");
        Assert.Equal(PinValue.High, rig.Driver.ValueOf(22));
        rig.Time.Advance(site.Options.Feedback.BeepFor);
        Assert.Equal(PinValue.Low, rig.Driver.ValueOf(22));
        rig.Time.Advance(site.Options.Feedback.LightFor);
        Assert.Equal(PinValue.Low, rig.Driver.ValueOf(17));
        Assert.Contains("Please tap your card", rig.Display.Line);
    }

    [Fact]
    public void A_bus_without_route_or_stop_records_nothing_and_says_why()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        TapOutcome o = rig.Tap(Card, "rear");
        Assert.Equal(Verdict.Refused, o.Verdict);
        Assert.Contains("Not in service", rig.Display.Line);
        Assert.Equal(0, rig.Ledger.Backlog);
    }

    [Fact]
    public void End_of_run_records_a_trip_end_without_a_card()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Vehicle.Set("R01", "S07");
        TapEvent e = rig.Pipeline.EndOfRun()!;
        Assert.Equal(EventTypes.TripEnd, e.Type);
        Assert.Null(e.Card);
        Assert.Equal("BUS0042", e.Ctx.Vehicle);
        Assert.Null(rig.Vehicle.Current.Route);
    }

    [Fact]
    public void Event_site_checks_in_and_out_inside_the_window_and_denies_outside_it()
    {
        using var site = new TestSite(DeviceRoles.Event, "EVT01");
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage, new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.FromHours(9))));
        var cfg = new DeviceConfig
        {
            Version = 2, Device = "EVT01", Role = DeviceRoles.Event,
            Events = [new EventDef { Id = "E1", Sector = "volunteer", Start = new(2026, 11, 26, 9, 0, 0, TimeSpan.FromHours(9)), End = new(2026, 11, 26, 12, 0, 0, TimeSpan.FromHours(9)), Points = 50, Sites = ["EVT01"] }],
        };
        Assert.Null(rig.Cloud.ApplyConfig(ContractJson.Serialize(cfg)));

        // 08:30 JST: before the window, same day → recorded as denied with the reason.
        rig.Time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 8, 30, 0, TimeSpan.FromHours(9)));
        TapOutcome early = rig.Tap(Card, "entrance");
        Assert.Equal(Verdict.Deny, early.Verdict);
        Assert.Equal("outside_window", early.Event!.Reason);
        Assert.Equal("E1", early.Event.Ctx.Event);

        rig.Time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 9, 5, 0, TimeSpan.FromHours(9)));
        TapOutcome inTap = rig.Tap(Card, "entrance");
        Assert.Equal(EventTypes.EventIn, inTap.Event!.Type);
        Assert.Equal(Decisions.Accept, inTap.Event.Decision);
        Assert.Contains("Checked in", rig.Display.Line);

        // 12:30: after the window, but out-taps count up to an hour after it.
        rig.Time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 12, 30, 0, TimeSpan.FromHours(9)));
        TapOutcome outTap = rig.Tap(Card, "exit");
        Assert.Equal(EventTypes.EventOut, outTap.Event!.Type);
        Assert.Equal(Decisions.Accept, outTap.Event.Decision);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 12, 30, 0, TimeSpan.FromHours(9)), outTap.Event.At);
        Assert.Equal(TimeSpan.FromHours(9), outTap.Event.At.Offset);

        // Another day: nothing here.
        rig.Time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(9)));
        Assert.Equal(Verdict.Refused, rig.Tap(Card, "entrance").Verdict);
    }

    [Fact]
    public void Clinic_issues_queue_numbers_per_local_day_and_a_repeat_tap_shows_the_same_number_even_after_a_restart()
    {
        using var site = new TestSite(DeviceRoles.Clinic, "CLN01");
        using var storage = new MemoryLedgerStorage();
        var cfg = ContractJson.Serialize(new DeviceConfig { Version = 1, Device = "CLN01", Role = DeviceRoles.Clinic, Clinic = new ClinicDef { Id = "C01" } });
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.FromHours(9)));
        using (var rig = new PipelineRig(site.Options, storage, time))
        {
            rig.Cloud.ApplyConfig(cfg);
            TapOutcome a = rig.Tap(Card, "reception");
            Assert.Equal("受付番号 1番 / Queue No. 1", a.Display);
            Assert.Equal(1, a.Event!.Ctx.Queue);
            Assert.Equal("C01", a.Event.Ctx.Clinic);
            Assert.Equal("受付番号 2番 / Queue No. 2", rig.Tap("DEADBEEF", "reception").Display);
        }

        time.Advance(TimeSpan.FromHours(3));
        using (var rig = new PipelineRig(site.Options, storage, time))
        {
            rig.Cloud.ApplyConfig(cfg);
            TapOutcome again = rig.Tap(Card, "reception");
            Assert.Equal("受付番号 1番 / Queue No. 1", again.Display);
            Assert.True(again.Green);
            Assert.Null(again.Event);
            Assert.Equal("受付番号 3番 / Queue No. 3", rig.Tap("1A2B3C4D", "reception").Display);

            // 00:30 JST the next day (15:30 UTC): numbering starts again.
            time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 0, 30, 0, TimeSpan.FromHours(9)));
            Assert.Equal("受付番号 1番 / Queue No. 1", rig.Tap(Card, "reception").Display);
            Assert.Equal(4, rig.Ledger.Backlog);
        }
    }

    [Fact]
    public void Raw_uids_never_reach_the_ledger()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Vehicle.Set("R01", "S01");
        rig.Tap(Card, "rear");
        rig.Tap("0101120012345678", "rear", CardTech.Felica);
        foreach (var r in rig.Ledger.Records(false))
        {
            Assert.DoesNotContain(Card, r.Json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("0101120012345678", r.Json, StringComparison.OrdinalIgnoreCase);
            Assert.True(CardToken.IsWellFormed(r.Event.Card!.Tok));
        }

        Assert.Equal("fYLPTEcc3V8cNDIWtme8Bw", rig.Ledger.Records(false).First().Event.Card!.Tok);
        Assert.DoesNotContain(Card, new CardRead(CardTech.Iso14443A, Convert.FromHexString(Card), "rear").ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
