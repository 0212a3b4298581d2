using System.Text.Json;
using Maebashi.Edge.Contract.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>Operator scopes over the HTTP API: each reads only its sector; no PID, raw UID or foreign sector ID ever leaves.</summary>
[Trait("Category", "Ingest")]
public sealed class PrivacyTests
{
    private static DateTimeOffset J(int h, int m) => new(2026, 11, 30, h, m, 0, TestKit.Jst);

    private static readonly string[] AllSectors = [SectorId.Transport, SectorId.Welfare, SectorId.City, "clinic:C01", "clinic:C02"];

    private static async Task<RunningIngest> StartWithData()
    {
        RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(J(12, 0)));
        await using (DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort))
        {
            await bus.SendAsync(TestKit.Batch("BUS0042",
                TestKit.Board(1, "04A1B2C3D4E5F6", J(8, 0), "S01"),
                TestKit.Alight(2, "04A1B2C3D4E5F6", J(8, 20), "S05")));
        }

        await using (DeviceClient evt = await DeviceClient.ConnectAsync("EVT01", ingest.Host.MqttPort))
        {
            await evt.SendAsync(TestKit.Batch("EVT01", TestKit.EventIn(1, "0F0E0D0C", J(8, 10), "E-WALK-1130"), TestKit.EventIn(2, "04A1B2C3D4E5F6", J(8, 15), "E-WALK-1130")));
        }

        await using (DeviceClient cln = await DeviceClient.ConnectAsync("CLN01", ingest.Host.MqttPort))
        {
            await cln.SendAsync(TestKit.Batch("CLN01", TestKit.Checkin(1, "04BADA55C0FFEE", J(10, 0), "C01", 1), TestKit.Checkin(2, "DEADBEEF", J(10, 5), "C01", 2)));
        }

        return ingest;
    }

    /// <summary>The raw JSON carries no PID, no UID (any case) and no sector ID except those of <paramref name="allowed"/>.</summary>
    private static void AssertNothingForeign(string json, params string[] allowed)
    {
        foreach (string pid in TestKit.Pids)
        {
            Assert.DoesNotContain(pid, json, StringComparison.OrdinalIgnoreCase);
        }

        foreach (string uid in TestKit.Uids)
        {
            Assert.DoesNotContain(uid, json, StringComparison.OrdinalIgnoreCase);
        }

        foreach (string sector in AllSectors.Except(allowed))
        {
            foreach (string sid in TestKit.SectorIds(sector))
            {
                Assert.DoesNotContain(sid, json, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Each_scope_reads_only_its_sector_and_a_missing_or_unknown_token_is_401()
    {
        await using RunningIngest ingest = await StartWithData();
        string wallet = $"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/wallet";
        const string checkinsC01 = "/api/v1/clinics/C01/checkins?date=2026-11-30";
        const string checkinsC02 = "/api/v1/clinics/C02/checkins?date=2026-11-30";
        const string participants = "/api/v1/events/E-WALK-1130/participants";
        string[] all = [wallet, checkinsC01, checkinsC02, participants, "/api/v1/devices", "/api/v1/quarantine"];

        foreach (string path in all)
        {
            Assert.Equal(401, (await ingest.Get(path, null)).Status);
            Assert.Equal(401, (await ingest.Get(path, "not-a-known-token-at-all")).Status);
        }

        Assert.Equal(401, (await ingest.Post($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/charge", null, """{"amount": 100, "receipt": "R-1"}""")).Status);

        (string Token, string Path, int Status)[] matrix =
        [
            (RunningIngest.TransportToken, wallet, 200),
            (RunningIngest.TransportToken, checkinsC01, 403),
            (RunningIngest.TransportToken, participants, 403),
            (RunningIngest.TransportToken, "/api/v1/devices", 403),
            (RunningIngest.TransportToken, "/api/v1/quarantine", 403),
            (RunningIngest.WelfareToken, wallet, 200),
            (RunningIngest.WelfareToken, participants, 200),
            (RunningIngest.WelfareToken, checkinsC01, 403),
            (RunningIngest.Clinic1Token, checkinsC01, 200),
            (RunningIngest.Clinic1Token, checkinsC02, 403),
            (RunningIngest.Clinic1Token, wallet, 403),
            (RunningIngest.Clinic1Token, participants, 403),
            (RunningIngest.Clinic2Token, checkinsC01, 403),
            (RunningIngest.Clinic2Token, checkinsC02, 200),
            (RunningIngest.AdminToken, wallet, 200),
            (RunningIngest.AdminToken, checkinsC01, 200),
            (RunningIngest.AdminToken, participants, 200),
            (RunningIngest.AdminToken, "/api/v1/devices", 200),
            (RunningIngest.AdminToken, "/api/v1/quarantine", 200),
        ];
        foreach ((string token, string path, int status) in matrix)
        {
            (int got, _) = await ingest.Get(path, token);
            Assert.True(status == got, $"{path} with the {token[..token.IndexOf('-', StringComparison.Ordinal)]} token: expected {status}, got {got}");
        }

        Assert.Equal(403, (await ingest.Post($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/charge", RunningIngest.WelfareToken, """{"amount": 100, "receipt": "R-1"}""")).Status);
        Assert.Equal(403, (await ingest.Post($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/charge", RunningIngest.Clinic1Token, """{"amount": 100, "receipt": "R-1"}""")).Status);
    }

    [Fact]
    public async Task Responses_carry_no_PID_raw_UID_or_another_sectors_ID()
    {
        await using RunningIngest ingest = await StartWithData();

        foreach (string token in new[] { RunningIngest.TransportToken, RunningIngest.WelfareToken, RunningIngest.AdminToken })
        {
            // Any card of the person gives the person's wallet: P0001's FeliCa card shows the Type A card's trip.
            (int s, string body) = await ingest.Get($"/api/v1/cards/{TestKit.Tok("0101120012345678")}/wallet", token);
            Assert.Equal(200, s);
            AssertNothingForeign(body);
            JsonElement w = TestKit.ParseJson(body);
            Assert.Equal(1000 - 260, w.GetProperty("value").GetInt64());
            Assert.Equal(1, w.GetProperty("trips").GetArrayLength());
            Assert.True(w.GetProperty("pointsBySource").GetProperty("health").GetInt64() > 0);
        }

        (int cs, string checkins) = await ingest.Get("/api/v1/clinics/C01/checkins?date=2026-11-30", RunningIngest.Clinic1Token);
        Assert.Equal(200, cs);
        AssertNothingForeign(checkins, "clinic:C01");
        Assert.Contains(TestKit.Registry.SectorIdFor("P0007", "clinic:C01"), checkins, StringComparison.Ordinal);
        JsonElement first = TestKit.ParseJson(checkins).GetProperty("checkins")[0];
        Assert.Equal(["patientNo", "queue", "childMedicalSubsidy", "time"], first.EnumerateObject().Select(p => p.Name));
        Assert.True(first.GetProperty("childMedicalSubsidy").GetBoolean()); // P0007, born 2011-04-02, reaches 15 on 2026-04-01: covered to 2027-03-31
    }

    [Fact]
    public async Task Event_participants_are_the_events_sector_IDs_and_reads_are_audited()
    {
        await using RunningIngest ingest = await StartWithData();
        (int ps, string body) = await ingest.Get("/api/v1/events/E-WALK-1130/participants", RunningIngest.WelfareToken);
        Assert.Equal(200, ps);
        AssertNothingForeign(body, SectorId.Welfare);
        Assert.Contains(TestKit.Registry.SectorIdFor("P0006", SectorId.Welfare), body, StringComparison.Ordinal);
        Assert.Contains(TestKit.Registry.SectorIdFor("P0001", SectorId.Welfare), body, StringComparison.Ordinal);

        (int ds, string devices) = await ingest.Get("/api/v1/devices", RunningIngest.AdminToken);
        Assert.Equal(200, ds);
        AssertNothingForeign(devices);
        (int qs, string quarantine) = await ingest.Get("/api/v1/quarantine", RunningIngest.AdminToken);
        Assert.Equal(200, qs);
        AssertNothingForeign(quarantine);

        await ingest.Get($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/wallet", RunningIngest.TransportToken);
        string[] audit = await ingest.AuditLinesAsync();
        Assert.Contains(audit, l => l.Contains("福祉 係", StringComparison.Ordinal) && l.Contains("/participants", StringComparison.Ordinal) && l.Contains(TestKit.Registry.SectorIdFor("P0006", SectorId.Welfare), StringComparison.Ordinal));
        Assert.Contains(audit, l => l.Contains("交通 係", StringComparison.Ordinal) && l.Contains("/wallet", StringComparison.Ordinal) && l.Contains(TestKit.Tok("04A1B2C3D4E5F6"), StringComparison.Ordinal));
        foreach (string line in audit)
        {
            AssertNothingForeign(line, AllSectors);
        }
    }
}
