using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Rules.Tests;

/// <summary>docs/contract.md §3: event points (once per person, duration-based with tap-out) and clinic check-ins.</summary>
[Trait("Category", "Ingest")]
public class EventAndClinicTests
{
    // Sample: E-CLEANUP-1129 volunteer, 2026-11-29 09:00–12:00, 50 points at EVT01.
    //         E-WALK-1130 health, 2026-11-30 08:00–11:00, 20 points, 30 per hour, at most 90, at EVT01.
    private const string Cleanup = "E-CLEANUP-1129";
    private const string Walk = "E-WALK-1130";

    [Theory]
    // event_in time, status, points credited
    [InlineData("2026-11-29 09:30", "applied", 50)]
    [InlineData("2026-11-29 09:00", "applied", 50)] // start ≤ at
    [InlineData("2026-11-29 12:00", "applied", 50)] // at ≤ end
    [InlineData("2026-11-29 08:59", "rejected", 0)]
    [InlineData("2026-11-29 12:01", "rejected", 0)]
    public void Event_in_inside_the_window_credits_points(string at, string status, long points)
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef tap = r.EventIn("EVT01", at, Cleanup);

        WalletView w = r.Eval("2026-11-30 12:00");

        Assert.Equal(status, w.Outcomes[tap].Status);
        Assert.Equal(points, w.PointsVolunteer);
        Assert.Equal(points, w.Points);
        Assert.Equal(points == 0 ? 0 : 1, w.Participations.Count);
        if (status == ResultStatus.Rejected)
        {
            Assert.Contains("window", w.Outcomes[tap].Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0)] // the same card again
    [InlineData(1)] // the person's other card
    public void Later_event_in_by_the_same_person_credits_nothing(int card)
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef first = r.EventIn("EVT01", "2026-11-29 09:30", Cleanup);
        StoredTapRef later = r.EventIn("EVT01", "2026-11-29 10:30", Cleanup, card: card);

        WalletView w = r.Eval("2026-11-30 12:00");

        Assert.Equal(50, w.Outcomes[first].Points);
        Assert.Equal((ResultStatus.Applied, 0L), (w.Outcomes[later].Status, w.Outcomes[later].Points!.Value));
        Assert.NotNull(w.Outcomes[later].Reason);
        Assert.Equal(50, w.PointsVolunteer);
        Assert.Equal(Jst.At("2026-11-29 09:30"), Assert.Single(w.Participations).In);
    }

    [Theory]
    // event_out time (null: none), points: max(20, min(90, floor(minutes × 30 / 60)))
    [InlineData(null, 20L)]
    [InlineData("2026-11-30 10:30", 75L)] // 150 min → 75
    [InlineData("2026-11-30 08:20", 20L)] // 20 min → 10 < 20: the base credit stays
    [InlineData("2026-11-30 11:59", 90L)] // 239 min → 119, at most 90
    [InlineData("2026-11-30 12:00", 90L)] // 60 min after the window: still counts
    [InlineData("2026-11-30 12:01", 20L)] // later: rejected, the base credit stays
    [InlineData("2026-11-30 09:01:59", 30L)] // 61 whole minutes → 30
    public void Event_out_replaces_the_credit_by_duration(string? outAt, long points)
    {
        var r = new Rider(Sample.Registry, "P0001");
        r.EventIn("EVT01", "2026-11-30 08:00", Walk);
        StoredTapRef? tapOut = outAt is null ? null : r.EventOut("EVT01", outAt, Walk);

        WalletView w = r.Eval("2026-11-30 23:00");

        Assert.Equal(points, w.PointsHealth);
        Assert.Equal(points, Assert.Single(w.Participations).Points);
        Assert.Equal(points, Assert.Single(w.Postings, p => p.Kind == PostingKinds.EventPoints).Points);
        if (outAt == "2026-11-30 12:01")
        {
            Assert.Equal(ResultStatus.Rejected, w.Outcomes[tapOut!].Status);
        }
    }

    [Fact]
    public void Only_the_first_event_out_counts()
    {
        var r = new Rider(Sample.Registry, "P0001");
        r.EventIn("EVT01", "2026-11-30 08:00", Walk);
        r.EventOut("EVT01", "2026-11-30 08:30", Walk); // 30 min → 15 → 20
        StoredTapRef second = r.EventOut("EVT01", "2026-11-30 10:30", Walk);

        WalletView w = r.Eval("2026-11-30 23:00");

        Assert.Equal(20, w.PointsHealth);
        Assert.Equal(0, w.Outcomes[second].Points);
        Assert.Equal(Jst.At("2026-11-30 08:30"), Assert.Single(w.Participations).Out);
    }

    [Fact]
    public void An_exit_named_for_the_event_in_its_out_grace_closes_the_next_event_the_person_entered_at_that_site()
    {
        // One site holds a clean-up until 10:00 and a walk from 10:00:01; during the clean-up's out-grace the gate
        // names the clean-up for every exit, also of a walker who came in at 10:05.
        CityRegistry registry = RegistryBuilder.Small()
            .Device("GATE-1", DeviceRoles.Event)
            .Event("TIDY", EventSectors.Volunteer, "2026-12-01 09:00", "2026-12-01 10:00", 40, null, null, "GATE-1")
            .Event("WALK", EventSectors.Health, "2026-12-01 10:00:01", "2026-12-01 16:00", 10, pointsPerHour: 60, maxPoints: null, "GATE-1")
            .Person("Q1", "1990-01-01")
            .Person("Q2", "1990-01-01")
            .Build();
        var walker = new Rider(registry, "Q1");
        walker.EventIn("GATE-1", "2026-12-01 10:05", "WALK");
        StoredTapRef walkerOut = walker.EventOut("GATE-1", "2026-12-01 10:45", "TIDY");
        var stranger = new Rider(registry, "Q2");
        StoredTapRef strangerOut = stranger.EventOut("GATE-1", "2026-12-01 10:45", "TIDY");

        WalletView w = walker.Eval("2026-12-02 00:00");
        WalletView s = stranger.Eval("2026-12-02 00:00");

        // 40 minutes at 60 points an hour: the walk, closed by the exit.
        Assert.Equal((ResultStatus.Applied, 40L), (w.Outcomes[walkerOut].Status, w.PointsHealth));
        Assert.Equal(Jst.At("2026-12-01 10:45"), Assert.Single(w.Participations).Out);
        // No participation at this site at all: still refused.
        Assert.Equal(ResultStatus.Rejected, s.Outcomes[strangerOut].Status);
        Assert.Contains("no event_in", s.Outcomes[strangerOut].Reason, StringComparison.Ordinal);
    }

    private static CityRegistry EventRegistry() => RegistryBuilder.Small()
        .Device("GATE-1", DeviceRoles.Event)
        .Device("GATE-2", DeviceRoles.Event)
        .Event("RUN", EventSectors.Health, "2026-12-01 09:00", "2026-12-01 13:00", 10, pointsPerHour: 60, maxPoints: null, "GATE-1")
        .Event("TIDY", EventSectors.Volunteer, "2026-12-01 09:00", "2026-12-01 10:00", 40, null, null, "GATE-1", "GATE-2")
        .Person("Q1", "1990-01-01")
        .Build();

    [Theory]
    // device, event, in, out, decision, status of in, health, volunteer
    [InlineData("GATE-1", "RUN", "09:00", "13:30", "accept", "applied", 270, 0)] // 270 min × 60 / 60, no maxPoints
    [InlineData("GATE-2", "RUN", "09:00", null, "accept", "rejected", 0, 0)] // not a site of RUN
    [InlineData("GATE-2", "TIDY", "09:10", null, "accept", "applied", 0, 40)] // TIDY is held at both gates
    [InlineData("GATE-1", "TIDY", "09:10", null, "deny", "applied", 0, 40)] // the ingest re-checks whatever the device decided
    [InlineData("GATE-1", "NOPE", "09:10", null, "accept", "rejected", 0, 0)]
    public void Own_events_site_window_and_duration(string device, string eventId, string inAt, string? outAt, string decision, string status, long health, long volunteer)
    {
        var r = new Rider(EventRegistry(), "Q1");
        StoredTapRef tapIn = r.EventIn(device, "2026-12-01 " + inAt, eventId, decision: decision);
        StoredTapRef? tapOut = outAt is null ? null : r.EventOut(device, "2026-12-01 " + outAt, eventId);

        WalletView w = r.Eval("2026-12-02 00:00");

        Assert.Equal(status, w.Outcomes[tapIn].Status);
        if (tapOut is not null)
        {
            Assert.Equal(health + volunteer, w.Outcomes[tapOut].Points); // the credit as it now stands
        }
        Assert.Equal(health, w.PointsHealth);
        Assert.Equal(volunteer, w.PointsVolunteer);
        Assert.Equal(health + volunteer, w.Points);
    }

    [Fact]
    public void Event_out_of_an_event_without_points_per_hour_credits_nothing_more()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef tapIn = r.EventIn("EVT01", "2026-11-29 09:10", Cleanup);
        StoredTapRef tapOut = r.EventOut("EVT01", "2026-11-29 11:40", Cleanup);

        WalletView w = r.Eval("2026-11-29 23:00");

        Assert.Equal(50, w.Outcomes[tapIn].Points);
        Assert.Equal((ResultStatus.Applied, 0L), (w.Outcomes[tapOut].Status, w.Outcomes[tapOut].Points!.Value));
        Assert.Equal(50, w.PointsVolunteer);
        Assert.Equal(Jst.At("2026-11-29 11:40"), Assert.Single(w.Participations).Out);
    }

    [Fact]
    public void Event_out_without_event_in_is_rejected()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef tapOut = r.EventOut("EVT01", "2026-11-30 10:00", Walk);

        WalletView w = r.Eval("2026-11-30 23:00");

        Assert.Equal(ResultStatus.Rejected, w.Outcomes[tapOut].Status);
        Assert.Empty(w.Participations);
        Assert.Equal(0, w.Points);
    }

    [Fact]
    public void Clinic_check_in_carries_the_clinics_patient_number_and_queue()
    {
        var r = new Rider(Sample.Registry, "P0001");
        StoredTapRef first = r.CheckIn("CLN01", "2026-11-26 09:00", "C01", 5);
        StoredTapRef later = r.CheckIn("CLN01", "2026-11-26 15:00", "C01", 9);
        StoredTapRef nextDay = r.CheckIn("CLN01", "2026-11-27 00:05", "C01", 1); // new JST calendar day (same service day)

        WalletView w = r.Eval("2026-11-27 23:00");

        Assert.Equal(2, w.CheckIns.Count);
        Assert.Equal(("NXNX7JV3FC6UP6OD", 5), (w.Outcomes[first].PatientNo, w.Outcomes[first].Queue!.Value)); // sid(P0001, clinic:C01) of vectors.sample.json
        Assert.Equal((5, "NXNX7JV3FC6UP6OD"), (w.Outcomes[later].Queue!.Value, w.Outcomes[later].PatientNo)); // that day's check-in again
        Assert.Equal(1, w.Outcomes[nextDay].Queue);
        Assert.Equal([new DateOnly(2026, 11, 26), new DateOnly(2026, 11, 27)], w.CheckIns.Select(c => c.Date));
        Assert.All(w.CheckIns, c => Assert.False(c.ChildMedicalSubsidy));
    }

    [Theory]
    // birth date, check-in date, childMedicalSubsidy
    [InlineData("2011-04-02", "2026-11-26", true)] // day before the 15th birthday 2026-04-01 → through 2027-03-31
    [InlineData("2011-04-02", "2027-03-31", true)]
    [InlineData("2011-04-02", "2027-04-01", false)]
    [InlineData("2011-04-01", "2026-03-31", true)] // reached on 2026-03-31 → through that very day
    [InlineData("2011-04-01", "2026-04-01", false)]
    [InlineData("2011-02-10", "2026-03-31", true)] // reached 2026-02-09 → through 2026-03-31
    [InlineData("2011-02-10", "2026-11-26", false)]
    [InlineData("2020-06-01", "2026-11-26", true)]
    [InlineData("1980-05-14", "2026-11-26", false)]
    public void Child_medical_subsidy_through_the_first_31_March_after_reaching_15(string birth, string date, bool eligible)
    {
        CityRegistry reg = RegistryBuilder.Small().Clinic("K1").Device("DESK-1", DeviceRoles.Clinic, clinic: "K1").Person("Q1", birth).Build();
        var r = new Rider(reg, "Q1");
        StoredTapRef tap = r.CheckIn("DESK-1", date + " 10:00", "K1", 3);

        WalletView w = r.Eval(date + " 23:00");

        Assert.Equal(eligible, w.Outcomes[tap].ChildMedicalSubsidy);
        CheckIn c = Assert.Single(w.CheckIns);
        Assert.Equal(eligible, c.ChildMedicalSubsidy);
        Assert.Equal(reg.SectorIdFor("Q1", "clinic:K1"), c.PatientNo);
    }

    [Fact]
    public void Sample_persons_subsidy_on_the_same_day()
    {
        var p6 = new Rider(Sample.Registry, "P0006"); // born 2011-02-10
        var p7 = new Rider(Sample.Registry, "P0007"); // born 2011-04-02
        p6.CheckIn("CLN01", "2026-11-26 10:00", "C01", 1);
        p7.CheckIn("CLN01", "2026-11-26 10:00", "C01", 2);

        Assert.False(p6.Eval("2026-11-26 23:00").CheckIns[0].ChildMedicalSubsidy);
        Assert.True(p7.Eval("2026-11-26 23:00").CheckIns[0].ChildMedicalSubsidy);
    }

    [Fact]
    public void Check_in_at_another_clinics_desk_or_an_unknown_clinic_is_rejected()
    {
        CityRegistry reg = RegistryBuilder.Small().Clinic("K1").Clinic("K2").Device("DESK-1", DeviceRoles.Clinic, clinic: "K1").Person("Q1", "1990-01-01").Build();
        var r = new Rider(reg, "Q1");
        StoredTapRef wrongDesk = r.CheckIn("DESK-1", "2026-11-26 10:00", "K2", 1);
        StoredTapRef unknown = r.CheckIn("DESK-1", "2026-11-26 10:05", "K9", 1);

        WalletView w = r.Eval("2026-11-26 23:00");

        Assert.Empty(w.CheckIns);
        Assert.Equal(ResultStatus.Rejected, w.Outcomes[wrongDesk].Status);
        Assert.Equal(ResultStatus.Rejected, w.Outcomes[unknown].Status);
        Assert.Contains("K9", w.Outcomes[unknown].Reason, StringComparison.Ordinal);
    }
}
