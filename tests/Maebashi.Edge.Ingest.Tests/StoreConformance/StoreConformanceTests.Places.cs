using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// What a clinic's reception and the welfare sector see: check-ins by clinic and day, an event's participants.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task A_clinics_list_of_a_day_shows_each_patient_once_with_the_queue_number_they_were_given()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 11, 0));
        kit.Send("CLN01",
            TestKit.Checkin(1, PatientCard, Nov(30, 10, 0), "C01", 1),
            TestKit.Checkin(2, DisabilityCard, Nov(30, 10, 5), "C01", 2));
        // The same patient taps again later that morning: still their first number.
        Ack repeat = kit.Send("CLN01", TestKit.Checkin(3, PatientCard, Nov(30, 10, 30), "C01", 3));
        kit.Time.SetUtcNow(Nov(31, 9, 30));
        kit.Send("CLN01", TestKit.Checkin(4, PatientCard, Nov(31, 9, 0), "C01", 1));

        Assert.Equal(1, repeat.Results[0].Queue);
        var today = new DateOnly(2026, 11, 30);
        IReadOnlyList<CheckInRecord> list = kit.Store.CheckIns("C01", today);
        Assert.Equal(
            [(1, PatientNo("P0007")), (2, PatientNo("P0004"))],
            list.Select(c => (c.Queue, c.PatientNo)));
        Assert.All(list, c => Assert.Equal(("C01", today), (c.Clinic, c.Date)));
        Assert.Equal([(1, PatientNo("P0007"))], kit.Store.CheckIns("C01", today.AddDays(1)).Select(c => (c.Queue, c.PatientNo)));
        Assert.Empty(kit.Store.CheckIns("C02", today));

        static string PatientNo(string pid) => TestKit.Registry.SectorIdFor(pid, SectorId.ClinicPrefix + "C01");
    }

    [Fact]
    public async Task A_patients_later_taps_keep_their_earlier_days_check_ins_and_event_participations()
    {
        // Each later unit replays the person from their latest checkpoint: what the days before it hold stays as it is.
        PipelineKit kit = await OpenAsync(Nov(29, 12, 0));
        kit.Send("EVT01", TestKit.EventIn(1, PatientCard, Nov(29, 9, 10), "E-CLEANUP-1129"));
        kit.Send("CLN01", TestKit.Checkin(1, PatientCard, Nov(29, 10, 0), "C01", 1));
        kit.Time.SetUtcNow(Nov(30, 11, 0));
        kit.Send("CLN01", TestKit.Checkin(2, PatientCard, Nov(30, 10, 0), "C01", 1));
        kit.Time.SetUtcNow(Nov(31, 9, 30));
        kit.Send("CLN01", TestKit.Checkin(3, PatientCard, Nov(31, 9, 0), "C01", 1));

        string patientNo = TestKit.Registry.SectorIdFor("P0007", SectorId.ClinicPrefix + "C01");
        Assert.All(
            [new DateOnly(2026, 11, 29), new DateOnly(2026, 11, 30), new DateOnly(2026, 12, 1)],
            day => Assert.Equal([(1, patientNo)], kit.Store.CheckIns("C01", day).Select(c => (c.Queue, c.PatientNo))));
        Assert.Equal(
            [(TestKit.Registry.SectorIdFor("P0007", SectorId.Welfare), Nov(29, 9, 10))],
            kit.Store.Participations("E-CLEANUP-1129").Select(p => (p.SectorId, p.In)));
    }

    [Fact]
    public async Task An_events_participants_are_listed_by_welfare_sector_id_with_their_points()
    {
        PipelineKit kit = await OpenAsync(Nov(29, 12, 30));
        kit.Send("EVT01",
            TestKit.EventIn(1, TeenCard, Nov(29, 9, 5), "E-CLEANUP-1129"),
            TestKit.EventIn(2, PatientCard, Nov(29, 9, 10), "E-CLEANUP-1129"),
            new JsonObject
            {
                ["seq"] = 3, ["type"] = EventTypes.EventOut, ["at"] = TestKit.At(Nov(29, 11, 50)),
                ["card"] = new JsonObject { ["tok"] = TestKit.Tok(PatientCard), ["tech"] = TestKit.TechOf(PatientCard) },
                ["ctx"] = new JsonObject { ["event"] = "E-CLEANUP-1129" }, ["decision"] = "accept",
            });

        IReadOnlyList<ParticipationRecord> participants = kit.Store.Participations("E-CLEANUP-1129");
        Assert.Equal(
            [
                (Welfare("P0006"), Nov(29, 9, 5), (DateTimeOffset?)null, 50L),
                (Welfare("P0007"), Nov(29, 9, 10), Nov(29, 11, 50), 50L),
            ],
            participants.Select(p => (p.SectorId, p.In, p.Out, p.Points)));
        Assert.All(participants, p => Assert.Equal(("E-CLEANUP-1129", "volunteer"), (p.Event, p.Sector)));
        Assert.Empty(kit.Store.Participations("E-WALK-1130"));
        Assert.Equal(50, kit.Pipeline.WalletOf("P0006").PointsVolunteer);

        static string Welfare(string pid) => TestKit.Registry.SectorIdFor(pid, SectorId.Welfare);
    }
}
